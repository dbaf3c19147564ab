//! `trent key retire KEY`: starts, shows, watches or aborts a guided retirement. The server keeps and runs the plan
//! (Trent.StartKeyRetirement, Trent.GetKeyRetirement, Trent.AbortKeyRetirement); this command only asks.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cli::client::Signer;
use crate::cli::key::utc;
use crate::cli::usage;

/// What `trent key retire` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetireAction {
    /// Start a plan.
    Start {
        /// The observation period, in seconds.
        observe_seconds: i64,
        /// The deletion's waiting period, in days.
        pending_window_days: i64,
        /// Start even if the key was used within the observation period.
        force: bool,
        /// Retire an encryption, key agreement or key encapsulation key even though its public key was downloaded.
        accept_public_key_risk: bool,
    },
    /// Show the plan.
    Status,
    /// Stop the plan.
    Abort,
}

/// Parses a duration such as `14d`, `12h`, `30m`, `45s` or `90` (seconds) into seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((at, unit)) if unit.is_ascii_alphabetic() => (text.get(..at).unwrap_or_default(), unit),
        _ => (text, 's'),
    };
    let scale = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return Err(format!("'{text}': use a number with d, h, m or s, e.g. 14d")),
    };
    let value: i64 = number.parse().map_err(|_| format!("'{text}': use a number with d, h, m or s, e.g. 14d"))?;
    value.checked_mul(scale).filter(|s| *s >= 0).ok_or_else(|| format!("'{text}' is out of range"))
}

/// Runs the action for `key`; with `watch`, follows the plan until it finishes.
pub async fn run(
    client: &Signer,
    key: &str,
    action: &RetireAction,
    watch: bool,
    json_output: bool,
) -> Result<(), String> {
    let answer = match action {
        RetireAction::Start { observe_seconds, pending_window_days, force, accept_public_key_risk } => {
            let body = json!({
                "KeyId": key,
                "ObservationPeriodInSeconds": observe_seconds,
                "PendingWindowInDays": pending_window_days,
                "Force": force,
                "AcceptPublicKeyRisk": accept_public_key_risk,
            });
            client.call_api("Trent.StartKeyRetirement", &body).await.map_err(|e| e.to_string())?
        }
        RetireAction::Status => {
            client.call_api("Trent.GetKeyRetirement", &json!({ "KeyId": key })).await.map_err(|e| e.to_string())?
        }
        RetireAction::Abort => {
            client.call_api("Trent.AbortKeyRetirement", &json!({ "KeyId": key })).await.map_err(|e| e.to_string())?
        }
    };
    if json_output {
        say!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
    } else {
        if let Some(report) = answer.get("Usage") {
            say!("Usage evidence assessed before starting:");
            usage::print(report);
            say!();
        }
        print_plan(answer.get("Retirement").unwrap_or(&Value::Null));
        print_replica_plans(answer.get("ReplicaRetirements"));
        if answer.get("Attempts").is_some() {
            usage::print_attempts("Attempted uses since the plan started", answer.get("Attempts"));
        }
    }
    if watch {
        follow(client, key, answer.get("Retirement"), json_output).await?;
    }
    Ok(())
}

/// Polls the plan, printing each change of step, until it is finished.
async fn follow(client: &Signer, key: &str, plan: Option<&Value>, json_output: bool) -> Result<(), String> {
    let step =
        |plan: Option<&Value>| plan.and_then(|p| p.get("Step")).and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut last = step(plan);
    while matches!(last.as_str(), "Observing" | "PendingDeletion") {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let answer =
            client.call_api("Trent.GetKeyRetirement", &json!({ "KeyId": key })).await.map_err(|e| e.to_string())?;
        let now = step(answer.get("Retirement"));
        if now != last {
            if json_output {
                say!("{answer}");
            } else {
                say!();
                print_plan(answer.get("Retirement").unwrap_or(&Value::Null));
            }
            last = now;
        }
    }
    if last == "Halted" {
        return Err("the retirement halted; the key stays Disabled".to_owned());
    }
    Ok(())
}

/// The plans a multi-Region primary's retirement started for its replicas, if any.
fn print_replica_plans(plans: Option<&Value>) {
    for (index, replica) in plans.and_then(Value::as_array).into_iter().flatten().enumerate() {
        if index == 0 {
            say!();
            say!("Its replicas retire with it, and are deleted before it (a primary waits for its replicas):");
        }
        let text = |member: &str| replica.get(member).and_then(Value::as_str).unwrap_or("-").to_owned();
        say!("  {}  {}", text("KeyId"), text("Step"));
    }
}

fn print_plan(plan: &Value) {
    let text = |member: &str| plan.get(member).and_then(Value::as_str).unwrap_or("-").to_owned();
    let date = |member: &str| plan.get(member).and_then(Value::as_f64).map_or_else(|| "-".to_owned(), utc);
    say!("Retirement of:        {}", text("KeyId"));
    say!("Step:                 {}", text("Step"));
    say!("Started:              {} by {}", date("StartedAt"), text("StartedBy"));
    say!("Observed until:       {}", date("ObserveUntil"));
    say!("Deletion scheduled:   {}", date("ScheduledAt"));
    say!("Deletion date:        {}", date("DeletionDate"));
    say!("Finished:             {}", date("FinishedAt"));
    say!("Reason:               {}", text("Reason"));
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations_take_days_hours_minutes_and_seconds() {
        assert_eq!(parse_duration("14d"), Ok(14 * 86_400));
        assert_eq!(parse_duration("12h"), Ok(43_200));
        assert_eq!(parse_duration("30m"), Ok(1_800));
        assert_eq!(parse_duration("45s"), Ok(45));
        assert_eq!(parse_duration("90"), Ok(90));
        assert!(parse_duration("2w").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("-1d").is_err());
    }
}
