//! The golden wire corpus: every rule in `vectors/aws-json/*.jsonl` is one line (a request, the status, `__type` and
//! message AWS answers, or `null` where AWS sends no message member, and where that rule comes from), replayed here
//! against a spawned server. Each rule starts from an empty server and a named fixture (`fixtures.json`), and a
//! refused request must leave every key, alias and tag as it found them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::time::SystemTime;

use common::TestServer;
use serde_json::Value;

/// Replaces every `${name}` in `text` with its saved value.
fn substitute(text: &str, saved: &HashMap<String, String>) -> String {
    saved.iter().fold(text.to_owned(), |text, (name, value)| text.replace(&format!("${{{name}}}"), value))
}

/// Sends one signed call; `target` is an operation name (`TrentService.` is implied) or a full target.
fn call(
    server: &TestServer,
    target: &str,
    body: &Value,
    region: &str,
    saved: &HashMap<String, String>,
) -> (u16, Value) {
    let target = if target.contains('.') { target.to_owned() } else { format!("TrentService.{target}") };
    let body = substitute(&body.to_string(), saved);
    let (status, _, text) = server.signed(&target, &body, region, "test", "test", SystemTime::now());
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{target}: not JSON: {text}")))
}

/// Everything a refused request must not change, in `region`: each key's metadata, tags, policy and deletion
/// protection, and every alias.
fn snapshot(server: &TestServer, region: &str) -> Value {
    let none = HashMap::new();
    let ask = |target: &str, body: Value| call(server, target, &body, region, &none).1;
    let keys = ask("ListKeys", serde_json::json!({}));
    let described: Vec<Value> = keys["Keys"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|key| {
            let id = &key["KeyId"];
            serde_json::json!([
                ask("DescribeKey", serde_json::json!({ "KeyId": id })),
                ask("ListResourceTags", serde_json::json!({ "KeyId": id })),
                ask("GetKeyPolicy", serde_json::json!({ "KeyId": id, "PolicyName": "default" })),
                ask("Trent.GetDeletionProtection", serde_json::json!({ "KeyId": id })),
            ])
        })
        .collect();
    serde_json::json!({ "keys": described, "aliases": ask("ListAliases", serde_json::json!({})) })
}

/// Follows a dotted path (`KeyMetadata.KeyId`) into an answer.
fn member(answer: &Value, path: &str) -> String {
    let value = path.split('.').fold(answer, |value, part| &value[part]);
    value.as_str().unwrap_or_else(|| panic!("no {path} in {answer}")).to_owned()
}

/// Replays one rule; returns what differs from it, if anything.
fn replay(server: &TestServer, fixtures: &Value, rule: &Value) -> Option<String> {
    assert_eq!(server.http("POST", "/_trent/reset", &[], b"").0, 200, "reset");
    let mut saved = HashMap::new();
    if let Some(name) = rule["given"].as_str() {
        let steps = fixtures[name].as_array().unwrap_or_else(|| panic!("no fixture {name}"));
        for step in steps {
            let (status, answer) = call(server, step["target"].as_str().unwrap(), &step["body"], "us-east-1", &saved);
            assert_eq!(status, 200, "fixture {name}: {step} answered {answer}");
            for (key, path) in step["save"].as_object().into_iter().flatten() {
                saved.insert(key.clone(), member(&answer, path.as_str().unwrap()));
            }
        }
    }
    let region = rule["region"].as_str().unwrap_or("us-east-1");
    // The store as seen from us-east-1 and, when the rule calls another region, from that one too.
    let regions: Vec<&str> = if region == "us-east-1" { vec![region] } else { vec!["us-east-1", region] };
    let snapshots = || regions.iter().map(|r| snapshot(server, r)).collect::<Vec<_>>();
    let before = snapshots();
    let (status, answer) = call(server, rule["target"].as_str().unwrap(), &rule["body"], region, &saved);
    let mut wrong = Vec::new();
    if Some(u64::from(status)) != rule["status"].as_u64() {
        wrong.push(format!("status {status}, expected {}", rule["status"]));
    }
    if answer["__type"] != rule["type"] {
        wrong.push(format!("__type {}, expected {}", answer["__type"], rule["type"]));
    }
    let expected_message =
        rule.get("message").unwrap_or_else(|| panic!("{}: every rule says its message or null", rule["case"]));
    match expected_message.as_str() {
        None if answer.get("message").is_some() => {
            wrong.push(format!("a message member {}, expected none", answer["message"]))
        }
        Some(expected) if answer["message"].as_str() != Some(substitute(expected, &saved).as_str()) => {
            wrong.push(format!("message {}, expected {:?}", answer["message"], substitute(expected, &saved)));
        }
        _ => {}
    }
    if snapshots() != before {
        wrong.push("the refused request changed the store".to_owned());
    }
    (!wrong.is_empty()).then(|| format!("{}: {}", rule["case"], wrong.join("; ")))
}

#[tokio::test]
async fn every_wire_rule_of_the_corpus_holds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("vectors/aws-json");
    let fixtures: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("fixtures.json")).unwrap()).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let server = TestServer::start();
    let (mut rules, mut failures) = (0, Vec::new());
    for file in files {
        for (number, line) in
            std::fs::read_to_string(&file).unwrap().lines().enumerate().filter(|(_, l)| !l.trim().is_empty())
        {
            let rule: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{}:{}: {e}", file.display(), number + 1));
            assert!(
                rule["source"].as_str().is_some_and(|s| !s.is_empty()),
                "{}:{}: every rule names its source",
                file.display(),
                number + 1
            );
            rules += 1;
            if let Some(failure) = replay(&server, &fixtures, &rule) {
                failures.push(format!("{}:{}: {failure}", file.file_name().unwrap().to_string_lossy(), number + 1));
            }
        }
    }
    assert!(rules >= 50, "the corpus was read ({rules} rules)");
    assert!(failures.is_empty(), "{} of {rules} wire rules do not hold:\n{}", failures.len(), failures.join("\n"));
}
