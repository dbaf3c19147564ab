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

/// Runs `trent admin …`.
pub fn run(args: AdminArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(admin(args))
}

async fn admin(args: AdminArgs) -> Result<(), String> {
    let client = args.client.signer()?;
    let json_output = args.client.output == "json";
    let (target, body) = match &args.command {
        AdminCommand::User(UserCommand::Create { name }) => ("Trent.CreateUser", json!({ "UserName": name })),
        AdminCommand::User(UserCommand::List) => ("Trent.ListUsers", json!({})),
        AdminCommand::User(UserCommand::Delete { name }) => ("Trent.DeleteUser", json!({ "UserName": name })),
        AdminCommand::User(UserCommand::PutPolicy { name, policy_name, policy_file }) => {
            let document = std::fs::read_to_string(policy_file)
                .map_err(|e| format!("cannot read {}: {e}", policy_file.display()))?;
            let body = json!({ "UserName": name, "PolicyName": policy_name, "PolicyDocument": document });
            ("Trent.PutUserPolicy", body)
        }
        AdminCommand::User(UserCommand::GetPolicy { name, policy_name }) => {
            ("Trent.GetUserPolicy", json!({ "UserName": name, "PolicyName": policy_name }))
        }
        AdminCommand::User(UserCommand::ListPolicies { name }) => {
            ("Trent.ListUserPolicies", json!({ "UserName": name }))
        }
        AdminCommand::User(UserCommand::DeletePolicy { name, policy_name }) => {
            ("Trent.DeleteUserPolicy", json!({ "UserName": name, "PolicyName": policy_name }))
        }
        AdminCommand::AccessKey(AccessKeyCommand::Create { user }) => {
            ("Trent.CreateAccessKey", json!({ "UserName": user }))
        }
        AdminCommand::AccessKey(AccessKeyCommand::List { user }) => {
            ("Trent.ListAccessKeys", json!({ "UserName": user }))
        }
        AdminCommand::AccessKey(AccessKeyCommand::Delete { user, access_key_id }) => {
            ("Trent.DeleteAccessKey", json!({ "UserName": user, "AccessKeyId": access_key_id }))
        }
    };
    let answer = client.call_api(target, &body).await.map_err(|e| e.to_string())?;
    match &args.command {
        AdminCommand::User(UserCommand::Create { .. }) if !json_output => {
            say!("{}", text(answer.get("User").unwrap_or(&Value::Null), "Arn"));
        }
        AdminCommand::User(UserCommand::List) if !json_output => {
            say!("{:<24}  {:<24}  ARN", "USER", "USER ID");
            for user in answer.get("Users").and_then(Value::as_array).into_iter().flatten() {
                say!("{:<24}  {:<24}  {}", text(user, "UserName"), text(user, "UserId"), text(user, "Arn"));
            }
        }
        AdminCommand::User(UserCommand::GetPolicy { .. }) if !json_output => {
            say!("{}", text(&answer, "PolicyDocument"));
        }
        AdminCommand::User(UserCommand::ListPolicies { .. }) if !json_output => {
            for name in answer.get("PolicyNames").and_then(Value::as_array).into_iter().flatten() {
                say!("{}", name.as_str().unwrap_or_default());
            }
        }
        AdminCommand::AccessKey(AccessKeyCommand::Create { .. }) => {
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
        AdminCommand::AccessKey(AccessKeyCommand::List { .. }) if !json_output => {
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
