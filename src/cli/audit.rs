//! `trent audit …`: query, export and verify the audit trail through the server's signed API.

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
        #[command(flatten)]
        filter: EventFilter,
        /// At most this many events (1 to 1000).
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Export the matching audit events as a CloudTrail log file (`{"Records": [...]}`), every page of them.
    Export {
        #[command(flatten)]
        filter: EventFilter,
        /// Write to this file instead of standard output.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// Verify the audit hash chain; exits non-zero and names the event if it was tampered with.
    Verify,
}

/// Which events: the filters of `Trent.ListAuditEvents`.
#[derive(Debug, Args)]
struct EventFilter {
    /// Only events about this key (ID, ARN or alias).
    #[arg(long)]
    key: Option<String>,
    /// Only events with this name, e.g. Encrypt.
    #[arg(long)]
    event_name: Option<String>,
    /// Only events by this principal (ARN, principal ID or access key ID).
    #[arg(long)]
    principal: Option<String>,
    /// Only failed calls.
    #[arg(long)]
    errors_only: bool,
    /// Only events at or after this time: 2026-12-01, 2026-12-01T10:00:00Z or epoch seconds.
    #[arg(long, value_parser = parse_time)]
    start: Option<f64>,
    /// Only events before this time (same forms as --start).
    #[arg(long, value_parser = parse_time)]
    end: Option<f64>,
}

impl EventFilter {
    /// The request body of one page.
    fn request(&self, limit: i64, marker: Option<&str>) -> Value {
        json!({
            "KeyId": self.key, "EventName": self.event_name, "Principal": self.principal, "ErrorsOnly": self.errors_only,
            "StartTime": self.start, "EndTime": self.end, "Limit": limit, "Marker": marker,
        })
    }
}

/// Parses a time given as epoch seconds, a date (`2026-12-01`, midnight UTC) or `2026-12-01T10:00:00Z`.
fn parse_time(text: &str) -> Result<f64, String> {
    if let Ok(seconds) = text.parse::<f64>() {
        return Ok(seconds);
    }
    let invalid = || format!("'{text}': use 2026-12-01, 2026-12-01T10:00:00Z or epoch seconds");
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, time.strip_suffix('Z').ok_or_else(invalid)?),
        None => (text, "00:00:00"),
    };
    let numbers = |part: &str, sep: char| -> Option<Vec<i64>> { part.split(sep).map(|n| n.parse().ok()).collect() };
    let (Some(d), Some(t)) = (numbers(date, '-'), numbers(time, ':')) else {
        return Err(invalid());
    };
    let ([year, month, day], [hour, minute, second]) = (d.as_slice(), t.as_slice()) else {
        return Err(invalid());
    };
    let utc =
        trent_domain::UtcTime { year: *year, month: *month, day: *day, hour: *hour, minute: *minute, second: *second };
    // A date that does not exist (2026-02-30, 25:00) has no timestamp.
    let at = trent_domain::Timestamp::from_utc(utc).ok_or_else(invalid)?;
    Ok(at.epoch_seconds())
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
        AuditCommand::Events { filter, limit } => {
            let answer = client
                .call_api("Trent.ListAuditEvents", &filter.request(limit, None))
                .await
                .map_err(|e| e.to_string())?;
            let events = answer.get("Events").and_then(Value::as_array).cloned().unwrap_or_default();
            if json_output {
                // JSON lines: one CloudTrail record a line.
                for event in &events {
                    say!("{event}");
                }
            } else {
                say!("{:<20}  {:<26}  {:<28}  {:<80}  ERROR", "TIME", "EVENT", "CALLER", "KEY");
                for event in &events {
                    let field = |path: &str| event.pointer(path).and_then(Value::as_str).unwrap_or("-").to_owned();
                    say!(
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
        AuditCommand::Export { filter, file } => {
            let mut records = Vec::new();
            let mut marker: Option<String> = None;
            loop {
                let answer = client
                    .call_api("Trent.ListAuditEvents", &filter.request(1000, marker.as_deref()))
                    .await
                    .map_err(|e| e.to_string())?;
                records.extend(answer.get("Events").and_then(Value::as_array).cloned().unwrap_or_default());
                marker = answer.get("NextMarker").and_then(Value::as_str).map(str::to_owned);
                if marker.is_none() {
                    break;
                }
            }
            let count = records.len();
            let text = serde_json::to_string_pretty(&json!({ "Records": records })).map_err(|e| e.to_string())?;
            match file {
                Some(path) => {
                    // An audit trail names principals, addresses and keys: the export is its owner's alone (0600).
                    let mut options = std::fs::OpenOptions::new();
                    options.write(true).create(true).truncate(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                    let written = options
                        .open(&path)
                        .and_then(|mut out| std::io::Write::write_all(&mut out, (text + "\n").as_bytes()));
                    written.map_err(|e| format!("{}: {e}", path.display()))?;
                    eprintln!("exported {count} events to {}", path.display());
                }
                None => say!("{text}"),
            }
        }
        AuditCommand::Verify => {
            let answer = client.call_api("Trent.VerifyAuditTrail", &json!({})).await.map_err(|e| e.to_string())?;
            if json_output {
                say!("{answer}");
            }
            let checked = answer.get("EventsChecked").and_then(Value::as_u64).unwrap_or(0);
            if answer.get("Verified").and_then(Value::as_bool) == Some(true) {
                if !json_output {
                    say!("audit trail intact: {checked} events verified");
                }
            } else {
                let broken = answer.get("Break").and_then(Value::as_str).unwrap_or("unknown break");
                return Err(format!("audit trail broken: {broken}"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_are_epoch_seconds_dates_or_iso_8601() {
        assert_eq!(parse_time("1764547200"), Ok(1_764_547_200.0));
        assert_eq!(parse_time("2025-12-01"), Ok(1_764_547_200.0));
        assert_eq!(parse_time("2025-12-01T10:00:00Z"), Ok(1_764_583_200.0));
        for bad in ["2025-02-30", "2025-12-01T25:00:00Z", "2025-12-01T10:00:00", "yesterday", "2025-12"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
