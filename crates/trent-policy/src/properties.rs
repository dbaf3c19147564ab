//! Properties of the engine over many generated documents and requests (a seeded generator, so every run checks the
//! same ones): parsing any text never panics; adding any statement never turns an explicit `Deny` into an `Allow`;
//! adding a `Deny` statement never turns any decision into an `Allow`.

use serde_json::{json, Value};

use crate::{kms_decision, Decision, KeyAccess, PolicyDocument, Request, RequestContext};

/// xorshift64*: small, seeded, good enough to spread the choices.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn pick<'a, T>(&mut self, choices: &'a [T]) -> &'a T {
        let index = usize::try_from(self.next() % choices.len() as u64).unwrap_or(0);
        &choices[index.min(choices.len() - 1)]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const PRINCIPALS: [&str; 5] = [
    "arn:aws:iam::111122223333:root",
    "111122223333",
    "arn:aws:iam::111122223333:user/alice",
    "arn:aws:iam::444455556666:root",
    "arn:aws:iam::444455556666:user/carol",
];
const ACTIONS: [&str; 7] =
    ["kms:*", "kms:Encrypt", "kms:Decrypt", "kms:ScheduleKeyDeletion", "kms:Describe*", "kms:*Key*", "KMS:ENCRYPT"];
const RESOURCES: [&str; 3] = ["*", "arn:aws:kms:*:111122223333:key/*", "arn:aws:kms:us-east-1:111122223333:key/other"];
const CONDITIONS: [&str; 6] = [
    r#"{"StringEquals":{"kms:EncryptionContext:dept":"finance"}}"#,
    r#"{"StringNotEquals":{"kms:CallerAccount":"111122223333"}}"#,
    r#"{"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":30}}"#,
    r#"{"ForAnyValue:StringLike":{"kms:EncryptionContextKeys":["d*"]}}"#,
    r#"{"Null":{"kms:EncryptionContextKeys":"true"}}"#,
    r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
];

fn statement(generator: &mut Generator, effect: &str, with_principal: bool) -> Value {
    let mut statement = json!({ "Effect": effect, "Resource": *generator.pick(&RESOURCES) });
    let action_member = if generator.chance(15) { "NotAction" } else { "Action" };
    statement[action_member] = json!([generator.pick(&ACTIONS), generator.pick(&ACTIONS)]);
    if with_principal {
        let principal_member = if generator.chance(10) { "NotPrincipal" } else { "Principal" };
        statement[principal_member] =
            if generator.chance(10) { json!("*") } else { json!({ "AWS": generator.pick(&PRINCIPALS) }) };
    }
    if generator.chance(40) {
        let condition = *generator.pick(&CONDITIONS);
        statement["Condition"] = serde_json::from_str(condition).unwrap_or(Value::Null);
    }
    statement
}

fn document(statements: &[Value]) -> PolicyDocument {
    let text = json!({ "Version": "2012-10-17", "Statement": statements }).to_string();
    PolicyDocument::parse(&text).unwrap_or_else(|error| panic!("a generated policy is a policy: {error}: {text}"))
}

/// Every request the properties are checked against.
fn requests() -> Vec<(&'static str, &'static str, RequestContext)> {
    let contexts = [
        RequestContext::new(),
        RequestContext::new()
            .with("kms:EncryptionContext:dept", "finance")
            .with("kms:EncryptionContextKeys", "dept")
            .with("kms:CallerAccount", "111122223333")
            .with("aws:SourceIp", "10.1.1.1"),
        RequestContext::new().with("kms:ScheduleKeyDeletionPendingWindowInDays", "7").with("aws:SourceIp", "192.0.2.1"),
    ];
    let mut requests = Vec::new();
    for principal in [PRINCIPALS[0], PRINCIPALS[2], PRINCIPALS[3], PRINCIPALS[4]] {
        for action in ["kms:Encrypt", "kms:ScheduleKeyDeletion", "kms:DescribeKey"] {
            for context in &contexts {
                requests.push((principal, action, context.clone()));
            }
        }
    }
    requests
}

fn decide(
    key_policy: &PolicyDocument,
    identity: &[PolicyDocument],
    principal: &str,
    action: &str,
    context: &RequestContext,
) -> Decision {
    let account = principal.split(':').nth(4).unwrap_or_default();
    let resource = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let request = Request { principal, account, action, resource, context };
    let access = KeyAccess { key_policy, key_account: "111122223333", identity_policies: identity, granted: false };
    kms_decision(&access, &request)
}

#[test]
fn adding_a_statement_never_loosens_a_deny_and_adding_a_deny_never_allows() {
    let mut generator = Generator(0x5eed_cafe_f00d_d00d);
    let requests = requests();
    for _ in 0..300 {
        let count = 1 + generator.next() % 3;
        let key_statements: Vec<Value> = (0..count)
            .map(|_| {
                let effect = if generator.chance(30) { "Deny" } else { "Allow" };
                statement(&mut generator, effect, true)
            })
            .collect();
        let identity_statements = vec![statement(&mut generator, "Allow", false)];
        let identity = [document(&identity_statements)];
        let base = document(&key_statements);
        let any_effect = if generator.chance(50) { "Deny" } else { "Allow" };
        let added_any = document(&[key_statements.clone(), vec![statement(&mut generator, any_effect, true)]].concat());
        let added_deny = document(&[key_statements.clone(), vec![statement(&mut generator, "Deny", true)]].concat());
        for (principal, action, context) in &requests {
            let before = decide(&base, &identity, principal, action, context);
            if before == Decision::Deny {
                assert_eq!(decide(&added_any, &identity, principal, action, context), Decision::Deny);
            }
            if decide(&added_deny, &identity, principal, action, context) == Decision::Allow {
                assert_eq!(before, Decision::Allow, "a Deny made {principal} {action} allowed");
            }
        }
    }
}

#[test]
fn arbitrary_text_never_panics_the_parser() {
    let mut generator = Generator(0x0dd_ba11);
    let seeds = [
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"a":"b"}}}]}"#,
        r#"{"Statement":{"Effect":"Deny","NotPrincipal":"*","NotAction":["kms:*"],"NotResource":"*"}}"#,
    ];
    let alphabet: Vec<char> = "{}[]\":,*?\\ aAzZ09-_.:/\u{e9}\u{1F600}nulltrue".chars().collect();
    for round in 0..3000 {
        let mut text: Vec<char> = seeds[round % seeds.len()].chars().collect();
        for _ in 0..(1 + generator.next() % 4) {
            let at = usize::try_from(generator.next() % (text.len() as u64 + 1)).unwrap_or(0);
            match generator.next() % 3 {
                0 if at < text.len() => {
                    text.remove(at);
                }
                1 if at < text.len() => text[at] = *generator.pick(&alphabet),
                _ => text.insert(at.min(text.len()), *generator.pick(&alphabet)),
            }
        }
        let text: String = text.into_iter().collect();
        if let Ok(policy) = PolicyDocument::parse(&text) {
            for (principal, action, context) in requests().iter().take(6) {
                decide(&policy, &[], principal, action, context);
            }
        }
    }
}
