//! `trent key usage KEY`: the key's usage evidence (Trent.GetKeyUsage) as tables for people.

use serde_json::Value;

use crate::cli::key::utc;

fn date(value: &Value, member: &str) -> String {
    value.get(member).and_then(Value::as_f64).map_or_else(|| "-".to_owned(), utc)
}

fn count(value: &Value, member: &str) -> i64 {
    value.get(member).and_then(Value::as_i64).unwrap_or(0)
}

/// Prints a `{name: {"Succeeded", "Failed"}}` map as a table under `heading`.
fn calls_table(heading: &str, map: Option<&Value>) {
    let Some(map) = map.and_then(Value::as_object).filter(|m| !m.is_empty()) else {
        return;
    };
    say!();
    say!("{heading:<48}  {:>10}  {:>10}", "SUCCEEDED", "FAILED");
    for (name, calls) in map {
        say!("{name:<48}  {:>10}  {:>10}", count(calls, "Succeeded"), count(calls, "Failed"));
    }
}

/// Where an asymmetric key's public key went, in words ("downloaded 3 time(s), last by … at … from …"); `None` for a
/// symmetric or HMAC key, which has no public key.
pub fn public_key_downloads(report: &Value) -> Option<String> {
    let downloads = report.get("PublicKeyDownloads")?;
    let times = count(downloads, "Count");
    if times == 0 {
        return Some("never downloaded".to_owned());
    }
    let text = |member: &str| {
        downloads.get(member).and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or("-").to_owned()
    };
    Some(format!(
        "downloaded {times} time(s), last by {} at {} from {}",
        text("LastPrincipal"),
        date(downloads, "LastTime"),
        text("LastSourceIPAddress")
    ))
}

/// Prints a GetKeyUsage answer.
pub fn print(report: &Value) {
    let text = |member: &str| report.get(member).and_then(Value::as_str).unwrap_or("-").to_owned();
    say!("Key:                  {}", text("KeyId"));
    say!("State:                {}", text("KeyState"));
    say!("Created:              {}", date(report, "KeyCreationDate"));
    if report.get("Tracking").and_then(Value::as_bool) == Some(true) {
        say!("Tracking since:       {}", date(report, "TrackingStartDate"));
    } else {
        say!("Tracking since:       not tracked: this server does not record calls (--audit-calls false)");
    }
    say!("First call:           {}", date(report, "FirstCall"));
    say!("Last call:            {}", date(report, "LastCall"));
    match report.get("LastUse") {
        Some(last) => say!(
            "Last cryptographic:   {} at {} (event {})",
            last.get("Operation").and_then(Value::as_str).unwrap_or("-"),
            date(last, "Timestamp"),
            last.get("CloudTrailEventId").and_then(Value::as_str).unwrap_or("-")
        ),
        None => say!("Last cryptographic:   never since tracking began"),
    }
    let calls = report.get("Calls").cloned().unwrap_or(Value::Null);
    say!("Calls:                {} succeeded, {} failed", count(&calls, "Succeeded"), count(&calls, "Failed"));
    say!("Ciphertexts produced: {}", count(report, "CiphertextsProduced"));
    say!("Data keys produced:   {}", count(report, "DataKeysProduced"));
    if let Some(downloads) = public_key_downloads(report) {
        say!("Public key:           {downloads}");
    }
    calls_table("OPERATION", report.get("ByOperation"));
    calls_table("PRINCIPAL", report.get("ByPrincipal"));
    calls_table("SOURCE ADDRESS", report.get("BySourceIPAddress"));
    if let Some(days) = report.get("ByDay").and_then(Value::as_object).filter(|d| !d.is_empty()) {
        say!();
        say!("{:<10}  {:<38}  {:>10}  {:>10}", "DAY", "OPERATION", "SUCCEEDED", "FAILED");
        for (day, operations) in days {
            for (operation, calls) in operations.as_object().into_iter().flatten() {
                say!("{day:<10}  {operation:<38}  {:>10}  {:>10}", count(calls, "Succeeded"), count(calls, "Failed"));
            }
        }
    }
    if let Some(failures) = report.get("FailuresByErrorCode").and_then(Value::as_object).filter(|f| !f.is_empty()) {
        say!();
        say!("{:<48}  {:>10}", "ERROR CODE", "CALLS");
        for (code, calls) in failures {
            say!("{code:<48}  {:>10}", calls.as_i64().unwrap_or(0));
        }
    }
    print_attempts("Attempted uses while Disabled or PendingDeletion", report.get("RefusedAttempts"));
    print_materials(report.get("Materials"));
}

/// Prints a key's materials (GetKeyUsage's `Materials`): one line each, oldest first, with where each came from,
/// when, and (imported) whether the key holds it now and when it expires.
pub fn print_materials(materials: Option<&Value>) {
    let Some(materials) = materials.and_then(Value::as_array) else {
        return;
    };
    say!();
    say!("Materials: {}", materials.len());
    for material in materials {
        let text = |member: &str| material.get(member).and_then(Value::as_str).unwrap_or("-").to_owned();
        let made = match material.get("RotationType").and_then(Value::as_str) {
            Some(rotation) => format!("rotated {} ({rotation})", date(material, "CreationDate")),
            None if text("Origin") == "EXTERNAL" => format!("imported {}", date(material, "CreationDate")),
            None => format!("made with the key {}", date(material, "CreationDate")),
        };
        let import = match material.get("ImportState").and_then(Value::as_str) {
            Some(state) => {
                let expires = material.get("ValidTo").map_or_else(|| "never".to_owned(), |_| date(material, "ValidTo"));
                format!(", {state}, expires {expires}")
            }
            None => String::new(),
        };
        say!("  {}  {:<11}  {made}{import}", text("KeyMaterialId"), text("KeyMaterialState"));
    }
}

/// Prints refused attempts (GetKeyUsage's `RefusedAttempts`, GetKeyRetirement's `Attempts`).
pub fn print_attempts(heading: &str, attempts: Option<&Value>) {
    let attempts = attempts.and_then(Value::as_array).cloned().unwrap_or_default();
    say!();
    if attempts.is_empty() {
        say!("{heading}: none");
        return;
    }
    say!("{heading}: {}", attempts.len());
    say!("{:<20}  {:<16}  {:<24}  {:<36}  SOURCE", "TIME", "STATE", "OPERATION", "PRINCIPAL");
    for attempt in &attempts {
        let field = |member: &str| {
            attempt.get(member).and_then(Value::as_str).filter(|s| !s.is_empty()).unwrap_or("-").to_owned()
        };
        say!(
            "{:<20}  {:<16}  {:<24}  {:<36}  {}",
            date(attempt, "Time"),
            field("KeyState"),
            field("Operation"),
            field("Principal"),
            field("SourceIPAddress")
        );
    }
}
