//! `trent key …`: manage keys through the server's signed API (AWS's operations and Trent's own), never the store.

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::cli::client::{CallError, ClientArgs, Signer};
use crate::cli::retire::RetireAction;

/// `trent key` and its subcommands.
#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    command: KeyCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// List the keys of the account in the region.
    List,
    /// Show a key's metadata.
    Describe { key: String },
    /// Create a key: symmetric by default, or of any spec and usage Trent has (RSA_2048 with SIGN_VERIFY, …).
    Create {
        /// The key's description.
        #[arg(long)]
        description: Option<String>,
        /// The key spec, as in AWS: SYMMETRIC_DEFAULT, HMAC_256, RSA_3072, ECC_NIST_P256, ML_DSA_65, ML_KEM_768, …
        #[arg(long)]
        key_spec: Option<String>,
        /// The key usage, as in AWS: ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT,
        /// ENCAPSULATE_DECAPSULATE.
        #[arg(long)]
        key_usage: Option<String>,
        /// A multi-Region primary key (its ID starts with mrk-), which `trent key replicate` copies to other regions.
        #[arg(long)]
        multi_region: bool,
    },
    /// Copy a multi-Region primary key into another region: the replica has the same ID and material.
    Replicate {
        key: String,
        /// The replica's region.
        #[arg(long)]
        replica_region: String,
    },
    /// Enable a key.
    Enable { key: String },
    /// Disable a key.
    Disable { key: String },
    /// Schedule a key's deletion after a waiting period of 7 to 30 days (for a multi-Region primary with replicas, a
    /// period that starts when the last replica is deleted).
    ScheduleDeletion {
        key: String,
        /// The waiting period in days [default: 30].
        #[arg(long)]
        pending_window_in_days: Option<i64>,
    },
    /// Cancel a scheduled deletion (the key comes back Disabled).
    CancelDeletion { key: String },
    /// Turn deletion protection on: scheduling the key's deletion is refused.
    Protect { key: String },
    /// Turn deletion protection off.
    Unprotect { key: String },
    /// Who could use the key: every principal its key policy, the identity policies it delegates to and its live
    /// grants let do what to it, with the conditions and where each comes from. The first step before deleting it.
    WhoCan { key: String },
    /// Let a principal schedule and cancel the key's deletion (the console's "Allow key administrators to delete
    /// this key"): adds it to the key policy's deletion statement, or with --revoke removes it.
    AllowDeletion {
        key: String,
        /// The principal's ARN, e.g. arn:aws:iam::111122223333:user/alice.
        #[arg(long)]
        principal: String,
        /// Take the permission away instead.
        #[arg(long)]
        revoke: bool,
    },
    /// Show a key's usage evidence: first and last use, calls per operation, day, principal and address, ciphertexts
    /// and data keys produced, failures, and every attempted use while Disabled or PendingDeletion.
    Usage { key: String },
    /// Retire a key safely: assess its usage, disable it and observe, then schedule its deletion with the
    /// cancel-on-use safety net armed. The server runs the plan; `--status` shows it and `--abort` stops it.
    Retire {
        key: String,
        /// How long to observe the disabled key for attempted use: 14d, 12h, 30m, 45s.
        #[arg(long, default_value = "14d", value_parser = crate::cli::retire::parse_duration)]
        observe: i64,
        /// The deletion's waiting period, 7 to 30 days.
        #[arg(long, default_value_t = 30)]
        pending_window: i64,
        /// Start even though the key was used within the observation period.
        #[arg(long)]
        force: bool,
        /// Retire an encryption, key agreement or key encapsulation key even though its public key was downloaded
        /// (whoever holds it can keep protecting data with it that nobody will recover after the deletion).
        #[arg(long)]
        accept_public_key_risk: bool,
        /// Show the plan: its step, dates, and the attempts seen.
        #[arg(long, conflicts_with_all = ["abort", "force"])]
        status: bool,
        /// Stop the plan; the key stays Disabled.
        #[arg(long, conflicts_with_all = ["status", "force"])]
        abort: bool,
        /// Follow the plan until it completes or halts.
        #[arg(long)]
        watch: bool,
    },
}

/// Runs `trent key …`.
pub fn run(args: KeyArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(key(args))
}

async fn key(args: KeyArgs) -> Result<(), String> {
    let client = args.client.signer()?;
    let json_output = args.client.output == "json";
    if let KeyCommand::ScheduleDeletion { key, .. } = &args.command {
        warn_if_public_key_left(&client, key).await;
    }
    if let KeyCommand::Retire { key, observe, pending_window, force, accept_public_key_risk, status, abort, watch } =
        &args.command
    {
        let action = match (status, abort) {
            (true, _) => RetireAction::Status,
            (_, true) => RetireAction::Abort,
            _ => RetireAction::Start {
                observe_seconds: *observe,
                pending_window_days: *pending_window,
                force: *force,
                accept_public_key_risk: *accept_public_key_risk,
            },
        };
        return crate::cli::retire::run(&client, key, &action, *watch, json_output).await;
    }
    if let KeyCommand::AllowDeletion { key, principal, revoke } = &args.command {
        return allow_deletion(&client, key, principal, *revoke, json_output).await;
    }
    let (target, body) = match &args.command {
        KeyCommand::List => ("TrentService.ListKeys", json!({})),
        KeyCommand::Describe { key } => ("TrentService.DescribeKey", json!({ "KeyId": key })),
        KeyCommand::Create { description, key_spec, key_usage, multi_region } => {
            let mut body = json!({ "Description": description.clone().unwrap_or_default() });
            if let Some(object) = body.as_object_mut() {
                for (member, value) in [("KeySpec", key_spec), ("KeyUsage", key_usage)] {
                    if let Some(value) = value {
                        object.insert(member.to_owned(), json!(value));
                    }
                }
                if *multi_region {
                    object.insert("MultiRegion".to_owned(), json!(true));
                }
            }
            ("TrentService.CreateKey", body)
        }
        KeyCommand::Replicate { key, replica_region } => {
            ("TrentService.ReplicateKey", json!({ "KeyId": key, "ReplicaRegion": replica_region }))
        }
        KeyCommand::Enable { key } => ("TrentService.EnableKey", json!({ "KeyId": key })),
        KeyCommand::Disable { key } => ("TrentService.DisableKey", json!({ "KeyId": key })),
        KeyCommand::ScheduleDeletion { key, pending_window_in_days } => {
            let mut body = json!({ "KeyId": key });
            if let (Some(days), Some(object)) = (pending_window_in_days, body.as_object_mut()) {
                object.insert("PendingWindowInDays".to_owned(), json!(days));
            }
            ("TrentService.ScheduleKeyDeletion", body)
        }
        KeyCommand::CancelDeletion { key } => ("TrentService.CancelKeyDeletion", json!({ "KeyId": key })),
        KeyCommand::Protect { key } => ("Trent.SetDeletionProtection", json!({ "KeyId": key, "Enabled": true })),
        KeyCommand::Unprotect { key } => ("Trent.SetDeletionProtection", json!({ "KeyId": key, "Enabled": false })),
        KeyCommand::Usage { key } => ("Trent.GetKeyUsage", json!({ "KeyId": key })),
        KeyCommand::WhoCan { key } => ("Trent.ListKeyAccess", json!({ "KeyId": key })),
        KeyCommand::Retire { .. } | KeyCommand::AllowDeletion { .. } => return Ok(()),
    };
    let mut answer = client.call_api(target, &body).await.map_err(|e: CallError| e.to_string())?;
    if let KeyCommand::Describe { key } = &args.command {
        add_materials(&client, key, &mut answer).await?;
    }
    if json_output {
        // who-can's JSON is the list of entries itself.
        let shown = match &args.command {
            KeyCommand::WhoCan { .. } => answer.get("Entries").unwrap_or(&Value::Null),
            _ => &answer,
        };
        say!("{}", serde_json::to_string_pretty(shown).unwrap_or_default());
        return Ok(());
    }
    match &args.command {
        KeyCommand::WhoCan { .. } => print_access(&answer),
        KeyCommand::List => {
            say!("{:<36}  ARN", "KEY ID");
            for key in answer.get("Keys").and_then(Value::as_array).into_iter().flatten() {
                say!("{:<36}  {}", text(key, "KeyId"), text(key, "KeyArn"));
            }
        }
        KeyCommand::Describe { .. } | KeyCommand::Create { .. } => {
            print_fields(answer.get("KeyMetadata").unwrap_or(&Value::Null));
            crate::cli::usage::print_materials(answer.get("Materials"));
        }
        KeyCommand::ScheduleDeletion { key, .. } => {
            print_fields(&answer);
            explain_replicas_blocking(&client, key, &answer).await;
        }
        KeyCommand::Usage { .. } => crate::cli::usage::print(&answer),
        KeyCommand::Replicate { .. } => print_fields(answer.get("ReplicaKeyMetadata").unwrap_or(&Value::Null)),
        _ => {
            if answer.as_object().is_some_and(|o| !o.is_empty()) {
                print_fields(&answer);
            } else {
                say!("done");
            }
        }
    }
    Ok(())
}

/// Prints who may do what to a key, one entry per line group: the principal, what it may (or may not) do, on which
/// conditions, and why.
fn print_access(answer: &Value) {
    let entries = answer.get("Entries").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    say!("{} entries for {}", entries.len(), text(answer, "KeyId"));
    for entry in entries {
        let actions: Vec<&str> =
            entry.get("Actions").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        let all = trent_policy::KMS_KEY_ACTIONS.iter().all(|action| actions.contains(action));
        let shown = if all { "kms:* (every action on the key)".to_owned() } else { actions.join(", ") };
        say!("");
        say!("{} {}", text(entry, "Effect"), text(entry, "Principal"));
        say!("  actions:    {shown}");
        for condition in entry.get("Conditions").and_then(Value::as_array).into_iter().flatten() {
            say!("  when:       {condition}");
        }
        say!("  from:       {}", text(entry, "Source"));
    }
}

/// The `Sid` of the key policy statement that lets key administrators delete the key.
pub const DELETION_STATEMENT_SID: &str = "Allow key administrators to delete this key";

/// `policy` with `principal` added to (or, revoking, removed from) its deletion statement: `Allow` of
/// `kms:ScheduleKeyDeletion` and `kms:CancelKeyDeletion` on the key, made when missing and dropped when it names
/// nobody any more. Only that statement's principals change; every other statement, and the rest of that one (a
/// condition someone added), is kept as it was.
pub fn with_deletion_statement(policy: &Value, principal: &str, revoke: bool) -> Result<Value, String> {
    let mut policy = policy.clone();
    let statements = match policy.get_mut("Statement") {
        Some(Value::Array(statements)) => statements,
        Some(one @ Value::Object(_)) => {
            *one = Value::Array(vec![one.take()]);
            match one {
                Value::Array(statements) => statements,
                _ => return Err("the key policy's Statement could not be read".to_owned()),
            }
        }
        _ => return Err("the key policy has no Statement".to_owned()),
    };
    let position = statements.iter().position(|s| s.get("Sid").and_then(Value::as_str) == Some(DELETION_STATEMENT_SID));
    let mut principals: Vec<String> = position
        .and_then(|i| statements.get(i))
        .and_then(|s| s.pointer("/Principal/AWS"))
        .map(|listed| match listed {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    principals.retain(|p| p != principal);
    if !revoke {
        principals.push(principal.to_owned());
    }
    match (position, principals.is_empty()) {
        (Some(i), true) => {
            statements.remove(i);
        }
        (Some(i), false) => {
            if let Some(Value::Object(statement)) = statements.get_mut(i) {
                statement.insert("Principal".to_owned(), json!({ "AWS": principals }));
            }
        }
        (None, true) => {}
        (None, false) => statements.push(json!({
            "Sid": DELETION_STATEMENT_SID,
            "Effect": "Allow",
            "Principal": { "AWS": principals },
            "Action": ["kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"],
            "Resource": "*",
        })),
    }
    Ok(policy)
}

/// `trent key allow-deletion`: reads the key policy, changes its deletion statement and writes it back (the server
/// refuses a policy that would lock the caller out, as AWS does).
async fn allow_deletion(
    client: &Signer,
    key: &str,
    principal: &str,
    revoke: bool,
    json_output: bool,
) -> Result<(), String> {
    let answer =
        client.call_json("TrentService.GetKeyPolicy", &json!({ "KeyId": key, "PolicyName": "default" })).await?;
    let policy: Value = serde_json::from_str(&text(&answer, "Policy")).map_err(|e| format!("the key policy: {e}"))?;
    let changed = with_deletion_statement(&policy, principal, revoke)?;
    let body = json!({ "KeyId": key, "PolicyName": "default", "Policy": serde_json::to_string_pretty(&changed).unwrap_or_default() });
    client.call_json("TrentService.PutKeyPolicy", &body).await?;
    if json_output {
        let outcome = json!({ "KeyId": key, "Principal": principal, "DeletionAllowed": !revoke });
        say!("{}", serde_json::to_string_pretty(&outcome).unwrap_or_default());
    } else if revoke {
        say!("{principal} may no longer schedule or cancel the deletion of {key} through its key policy.");
    } else {
        say!("{principal} may now schedule and cancel the deletion of {key}.");
    }
    Ok(())
}

/// Adds the key's materials to its description (`Materials`, from its usage evidence: ID, origin, when each came and,
/// imported, when it expires), so that a person deciding to delete the key sees how much history it holds.
async fn add_materials(client: &Signer, key: &str, described: &mut Value) -> Result<(), String> {
    let report = client.call_api("Trent.GetKeyUsage", &json!({ "KeyId": key })).await.map_err(|e| e.to_string())?;
    if let (Some(object), Some(materials)) = (described.as_object_mut(), report.get("Materials")) {
        object.insert("Materials".to_owned(), materials.clone());
    }
    Ok(())
}

/// Warns on stderr, with the evidence, when `key` is asymmetric and its public key has left the service: scheduling
/// its deletion still goes ahead, as in AWS. Evidence that cannot be read is no reason to refuse, so errors are ignored.
async fn warn_if_public_key_left(client: &Signer, key: &str) {
    let Ok(report) = client.call_api("Trent.GetKeyUsage", &json!({ "KeyId": key })).await else {
        return;
    };
    let Some(downloads) = crate::cli::usage::public_key_downloads(&report).filter(|d| d != "never downloaded") else {
        return;
    };
    eprintln!("warning: the public key of {} was {downloads}.", text(&report, "KeyId"));
    eprintln!("warning: whoever holds it can keep encrypting data (or trusting signatures) after the key is deleted, and nothing will decrypt that data.");
}

/// Says which replicas a multi-Region primary pending replica deletion waits for, and how to delete them.
async fn explain_replicas_blocking(client: &Signer, key: &str, answer: &Value) {
    if text(answer, "KeyState") != "PendingReplicaDeletion" {
        return;
    }
    let Ok(described) = client.call_api("TrentService.DescribeKey", &json!({ "KeyId": key })).await else {
        return;
    };
    let replicas: Vec<String> = described
        .pointer("/KeyMetadata/MultiRegionConfiguration/ReplicaKeys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|replica| text(replica, "Region"))
        .collect();
    let days = text(answer, "PendingWindowInDays");
    say!(
        "{} replica(s) block the deletion ({}): the {days}-day waiting period starts when the last of them is deleted.",
        replicas.len(),
        replicas.join(", ")
    );
    let key_id = described.pointer("/KeyMetadata/KeyId").and_then(Value::as_str).unwrap_or(key);
    say!("Schedule each one's deletion in its region: trent key schedule-deletion {key_id} --region REGION");
}

pub(crate) fn text(value: &Value, member: &str) -> String {
    match value.get(member) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

/// Prints an object's members as `Name: value` lines, with epoch-second dates as UTC times.
pub(crate) fn print_fields(value: &Value) {
    for (name, member) in value.as_object().into_iter().flatten() {
        let shown = match member {
            Value::Number(n) if name.ends_with("Date") => n.as_f64().map_or_else(|| n.to_string(), utc),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        say!("{name}: {shown}");
    }
}

/// Epoch seconds as `2026-11-23T10:41:11Z`.
pub fn utc(seconds: f64) -> String {
    trent_audit::iso8601(trent_domain::Timestamp((seconds * 1000.0) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deletion_statement_is_made_extended_and_dropped_leaving_the_rest() {
        let root = json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"});
        let policy = json!({"Version": "2012-10-17", "Statement": root.clone()});
        let alice = "arn:aws:iam::111122223333:user/alice";
        let bob = "arn:aws:iam::111122223333:user/bob";
        let one = with_deletion_statement(&policy, alice, false).unwrap();
        assert_eq!(one["Statement"][0], root);
        assert_eq!(one["Statement"][1]["Principal"]["AWS"], json!([alice]));
        let two = with_deletion_statement(&with_deletion_statement(&one, bob, false).unwrap(), bob, false).unwrap();
        assert_eq!(two["Statement"][1]["Principal"]["AWS"], json!([alice, bob]), "each principal once");
        let mut conditioned = two.clone();
        conditioned["Statement"][1]["Condition"] = json!({"Bool": {"aws:MultiFactorAuthPresent": "true"}});
        let kept = with_deletion_statement(&conditioned, alice, true).unwrap();
        assert_eq!(kept["Statement"][1]["Condition"], conditioned["Statement"][1]["Condition"], "the rest is kept");
        assert_eq!(kept["Statement"][1]["Principal"]["AWS"], json!([bob]));
        let back = with_deletion_statement(&with_deletion_statement(&two, alice, true).unwrap(), bob, true).unwrap();
        assert_eq!(back["Statement"], json!([root]), "a statement naming nobody is dropped");
        assert!(with_deletion_statement(&json!({}), alice, false).is_err());
    }
}
