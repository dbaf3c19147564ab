//! `trent audit …`: query and verify the audit trail through the server's signed API.

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::cli::client::ClientArgs;

/// `trent audit` and its subcommands.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// List audit events, oldest first.
    Events {
        /// Only events about this key (ID, ARN or alias).
        #[arg(long)]
        key: Option<String>,
        /// Only events with this name, e.g. Encrypt.
        #[arg(long)]
        event_name: Option<String>,
        /// Only failed calls.
        #[arg(long)]
        errors_only: bool,
        /// At most this many events (1 to 1000).
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Verify the audit hash chain; exits non-zero and names the event if it was tampered with.
    Verify,
}

/// Runs `trent audit …`.
pub fn run(args: AuditArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(audit(args))
}

async fn audit(args: AuditArgs) -> Result<(), String> {
    let client = args.client.signer()?;
    let json_output = args.client.output == "json";
    match args.command {
        AuditCommand::Events { key, event_name, errors_only, limit } => {
            let answer = client
                .call_api("Trent.ListAuditEvents", &json!({ "KeyId": key, "EventName": event_name, "ErrorsOnly": errors_only, "Limit": limit }))
                .await
                .map_err(|e| e.to_string())?;
            let events = answer.get("Events").and_then(Value::as_array).cloned().unwrap_or_default();
            if json_output {
                // JSON lines: one CloudTrail record a line.
                for event in &events {
                    println!("{event}");
                }
            } else {
                println!("{:<20}  {:<26}  {:<28}  {:<80}  ERROR", "TIME", "EVENT", "CALLER", "KEY");
                for event in &events {
                    let field = |path: &str| event.pointer(path).and_then(Value::as_str).unwrap_or("-").to_owned();
                    println!(
                        "{:<20}  {:<26}  {:<28}  {:<80}  {}",
                        field("/eventTime"),
                        field("/eventName"),
                        field("/userIdentity/arn"),
                        field("/resources/0/ARN"),
                        field("/errorCode")
                    );
                }
            }
        }
        AuditCommand::Verify => {
            let answer = client.call_api("Trent.VerifyAuditTrail", &json!({})).await.map_err(|e| e.to_string())?;
            if json_output {
                println!("{answer}");
            }
            let checked = answer.get("EventsChecked").and_then(Value::as_u64).unwrap_or(0);
            if answer.get("Verified").and_then(Value::as_bool) == Some(true) {
                if !json_output {
                    println!("audit trail intact: {checked} events verified");
                }
            } else {
                let broken = answer.get("Break").and_then(Value::as_str).unwrap_or("unknown break");
                return Err(format!("audit trail broken: {broken}"));
            }
        }
    }
    Ok(())
}
