//! `trent admin …`: an account's users, their access keys and identity policies, through the server's signed API
//! (`Trent.CreateUser` and the rest), with the account administrator's credentials (or a user allowed the `iam:`
//! actions).

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::cli::client::ClientArgs;
use crate::cli::key::{print_fields, text};

/// `trent admin` and its subcommands.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    #[command(flatten)]
    Api(ApiCommand),
    /// Write a backup of the whole store to one file, while the server serves (run beside it, with its settings).
    Backup(crate::cli::backup::BackupArgs),
    /// Restore a backup into an empty store, before a server starts on it (with the settings it will serve with).
    Restore(crate::cli::backup::RestoreArgs),
}

/// The commands that are calls of the server's signed API.
#[derive(Debug, Subcommand)]
enum ApiCommand {
    /// Users: create, list, delete, and their identity policies.
    #[command(subcommand)]
    User(UserCommand),
    /// Access keys of users: create (the secret is shown once), list, delete.
    #[command(subcommand)]
    AccessKey(AccessKeyCommand),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user; prints its ARN (arn:aws:iam::ACCOUNT:user/NAME), for key policies to name.
    Create { name: String },
    /// List the account's users.
    List,
    /// Delete a user with its access keys and policies: its requests are refused at once, on every node.
    Delete { name: String },
    /// Write (or replace) an identity policy of the user, from a JSON file (IAM's policy language).
    PutPolicy {
        name: String,
        #[arg(long)]
        policy_name: String,
        #[arg(long)]
        policy_file: std::path::PathBuf,
    },
    /// Show one of the user's policies.
    GetPolicy {
        name: String,
        #[arg(long)]
        policy_name: String,
    },
    /// List the names of the user's policies.
    ListPolicies { name: String },
    /// Delete one of the user's policies.
    DeletePolicy {
        name: String,
        #[arg(long)]
        policy_name: String,
    },
}

#[derive(Debug, Subcommand)]
enum AccessKeyCommand {
    /// Create an access key for a user (at most two each); its secret is shown now and never again.
    Create { user: String },
    /// List a user's access keys.
    List { user: String },
    /// Delete one of a user's access keys: it is refused at once, on every node.
    Delete { user: String, access_key_id: String },
}

/// Runs `trent admin …`; `matches` are `admin`'s.
pub fn run(args: AdminArgs, matches: &clap::ArgMatches) -> Result<(), String> {
    let subcommand = |name: &str| matches.subcommand_matches(name).unwrap_or(matches);
    let AdminArgs { command, client } = args;
    let command = match command {
        AdminCommand::Backup(backup) => return crate::cli::backup::backup(backup, subcommand("backup"), &client),
        AdminCommand::Restore(restore) => return crate::cli::backup::restore(restore, subcommand("restore")),
        AdminCommand::Api(command) => command,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(admin(command, &client))
}

async fn admin(command: ApiCommand, client_args: &ClientArgs) -> Result<(), String> {
    let client = client_args.signer()?;
    let json_output = client_args.output == "json";
    let (target, body) = match &command {
        ApiCommand::User(UserCommand::Create { name }) => ("Trent.CreateUser", json!({ "UserName": name })),
        ApiCommand::User(UserCommand::List) => ("Trent.ListUsers", json!({})),
        ApiCommand::User(UserCommand::Delete { name }) => ("Trent.DeleteUser", json!({ "UserName": name })),
        ApiCommand::User(UserCommand::PutPolicy { name, policy_name, policy_file }) => {
            let document = std::fs::read_to_string(policy_file)
                .map_err(|e| format!("cannot read {}: {e}", policy_file.display()))?;
            let body = json!({ "UserName": name, "PolicyName": policy_name, "PolicyDocument": document });
            ("Trent.PutUserPolicy", body)
        }
        ApiCommand::User(UserCommand::GetPolicy { name, policy_name }) => {
            ("Trent.GetUserPolicy", json!({ "UserName": name, "PolicyName": policy_name }))
        }
        ApiCommand::User(UserCommand::ListPolicies { name }) => ("Trent.ListUserPolicies", json!({ "UserName": name })),
        ApiCommand::User(UserCommand::DeletePolicy { name, policy_name }) => {
            ("Trent.DeleteUserPolicy", json!({ "UserName": name, "PolicyName": policy_name }))
        }
        ApiCommand::AccessKey(AccessKeyCommand::Create { user }) => {
            ("Trent.CreateAccessKey", json!({ "UserName": user }))
        }
        ApiCommand::AccessKey(AccessKeyCommand::List { user }) => ("Trent.ListAccessKeys", json!({ "UserName": user })),
        ApiCommand::AccessKey(AccessKeyCommand::Delete { user, access_key_id }) => {
            ("Trent.DeleteAccessKey", json!({ "UserName": user, "AccessKeyId": access_key_id }))
        }
    };
    let answer = client.call_api(target, &body).await.map_err(|e| e.to_string())?;
    match &command {
        ApiCommand::User(UserCommand::Create { .. }) if !json_output => {
            say!("{}", text(answer.get("User").unwrap_or(&Value::Null), "Arn"));
        }
        ApiCommand::User(UserCommand::List) if !json_output => {
            say!("{:<24}  {:<24}  ARN", "USER", "USER ID");
            for user in answer.get("Users").and_then(Value::as_array).into_iter().flatten() {
                say!("{:<24}  {:<24}  {}", text(user, "UserName"), text(user, "UserId"), text(user, "Arn"));
            }
        }
        ApiCommand::User(UserCommand::GetPolicy { .. }) if !json_output => {
            say!("{}", text(&answer, "PolicyDocument"));
        }
        ApiCommand::User(UserCommand::ListPolicies { .. }) if !json_output => {
            for name in answer.get("PolicyNames").and_then(Value::as_array).into_iter().flatten() {
                say!("{}", name.as_str().unwrap_or_default());
            }
        }
        ApiCommand::AccessKey(AccessKeyCommand::Create { .. }) => {
            let key = answer.get("AccessKey").unwrap_or(&Value::Null);
            let pair =
                json!({ "AccessKeyId": text(key, "AccessKeyId"), "SecretAccessKey": text(key, "SecretAccessKey") });
            if json_output {
                say!("{}", serde_json::to_string_pretty(&pair).unwrap_or_default());
            } else {
                print_fields(&pair);
                eprintln!("The secret access key is shown only now: keep it safe.");
            }
        }
        ApiCommand::AccessKey(AccessKeyCommand::List { .. }) if !json_output => {
            say!("{:<24}  {:<8}  CREATED", "ACCESS KEY ID", "STATUS");
            for key in answer.get("AccessKeyMetadata").and_then(Value::as_array).into_iter().flatten() {
                let created =
                    key.get("CreateDate").and_then(Value::as_f64).map(crate::cli::key::utc).unwrap_or_default();
                say!("{:<24}  {:<8}  {created}", text(key, "AccessKeyId"), text(key, "Status"));
            }
        }
        _ if json_output => say!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default()),
        _ => say!("done"),
    }
    Ok(())
}
