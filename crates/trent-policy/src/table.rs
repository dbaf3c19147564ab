//! The policy-evaluation table: each row a request, the policies it meets, the decision KMS makes, and why (the rule
//! of AWS's documentation that decides it: "Determining access to an AWS KMS key", "Key policies in AWS KMS", "IAM
//! JSON policy elements: Condition operators", "AWS KMS condition keys").

use crate::{kms_decision, Decision, KeyAccess, PolicyDocument, Request, RequestContext};

const A: &str = "111122223333";
const B: &str = "444455556666";
const ROOT_A: &str = "arn:aws:iam::111122223333:root";
const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
const BOB: &str = "arn:aws:iam::111122223333:user/bob";
const CAROL: &str = "arn:aws:iam::444455556666:user/carol";
const ROOT_B: &str = "arn:aws:iam::444455556666:root";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// AWS's default key policy: the account's root user, which delegates to the account's identity policies.
const DEFAULT: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow",
"Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
/// The default policy and AWS's key-administrators statement for alice, deletion included.
const ADMINS: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*",
"Resource":"*"},{"Sid":"Allow access for Key Administrators","Effect":"Allow","Principal":{"AWS":
"arn:aws:iam::111122223333:user/alice"},"Action":["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*",
"kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:TagResource","kms:UntagResource",
"kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],"Resource":"*"}]}"#;
/// A policy that denies everything to everyone, the root user included.
const DENY_ALL: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}]}"#;
/// Deletion only with the longest window.
const LONGEST_WINDOW: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:ScheduleKeyDeletion",
"Resource":"*","Condition":{"NumericLessThan":{"kms:ScheduleKeyDeletionPendingWindowInDays":"30"}}}]}"#;
/// Account B may use the key for cryptography.
const CROSS: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},
"Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"}]}"#;
/// Carol of account B, named, may decrypt.
const CROSS_NAMED: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":
"arn:aws:iam::444455556666:user/carol"},"Action":"kms:Decrypt","Resource":"*"}]}"#;
/// Bob may decrypt what was encrypted for finance.
const CONTEXT: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
"Action":"kms:*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},
"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:dept":"finance"}}}]}"#;
/// Only alice: the root user is locked out.
const NO_ROOT: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},
"Action":"kms:*","Resource":"*"}]}"#;
/// Everyone of the key's own account may encrypt (KMS's kms:CallerAccount).
const CALLER_ACCOUNT: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Encrypt",
"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}}]}"#;
/// Everyone but alice is refused deletion.
const NOT_PRINCIPAL: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*",
"Resource":"*"},{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},
"Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}"#;
/// Bob may do anything but delete, and everything only on this key.
const NOT_ACTION: &str = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},
"NotAction":["kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],"Resource":
"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}"#;
/// A statement about another resource only.
const NOT_RESOURCE: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
"Action":"kms:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:*","NotResource":
"arn:aws:kms:*:111122223333:key/1234abcd-*"}]}"#;
/// Deny while the key is tagged frozen; allow deletion only with the spec and origin named.
const KEY_FACTS: &str = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*",
"Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":
{"aws:ResourceTag/state":"frozen"}}},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/bob"},
"Action":"kms:ScheduleKeyDeletion","Resource":"*","Condition":{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT",
"kms:KeyOrigin":"AWS_KMS"},"StringLike":{"kms:KeyUsage":"ENCRYPT_*"}}}]}"#;

const I_ALL: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#;
const I_ENCRYPT: &str =
    r#"{"Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:*:111122223333:key/*"}}"#;
const I_DENY_DELETE: &str = r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},
{"Effect":"Deny","Action":["kms:ScheduleKeyDeletion"],"Resource":"*"}]}"#;
const I_OTHER_KEY: &str =
    r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:key/other"}}"#;
const I_DESCRIBE_STAR: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:Describe*","Resource":"*"}}"#;
const I_IP: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"IpAddress":
{"aws:SourceIp":["10.0.0.0/8","192.0.2.7"]}}}}"#;
const I_NOT_IP: &str = r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny",
"Action":"kms:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
const I_BEFORE_2027: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":
{"DateLessThan":{"aws:CurrentTime":"2027-01-01T00:00:00Z"}}}}"#;
const I_TEAM_TAG: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":
{"StringEquals":{"aws:ResourceTag/team":"blue"}}}}"#;
const I_REQUEST_TAG: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:TagResource","Resource":"*","Condition":
{"ForAllValues:StringEquals":{"aws:TagKeys":["team","cost"]},"StringEqualsIfExists":{"aws:RequestTag/team":"blue"}}}}"#;
const I_ANY_CONTEXT_KEY: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":
{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":["dept","project"]}}}}"#;
const I_ONLY_CONTEXT_KEYS: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":
{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["dept","project"]}}}}"#;
const I_CONTEXT_REQUIRED: &str = r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Effect":"Deny",
"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*","Condition":{"Null":{"kms:EncryptionContextKeys":"true"}}}]}"#;
const I_NOT_FINANCE: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":
{"StringNotEquals":{"kms:EncryptionContext:dept":"finance"}}}}"#;
const I_LIKE_PROJECT: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":
{"StringLike":{"kms:EncryptionContext:project":"apollo-*"}}}}"#;
const I_IGNORE_CASE: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":
{"StringEqualsIgnoreCase":{"kms:EncryptionContext:dept":"FINANCE"}}}}"#;
const I_PRINCIPAL_ARN: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":
{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/a*"}}}}"#;
const I_GRANT_OPS: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:CreateGrant","Resource":"*","Condition":
{"ForAllValues:StringEquals":{"kms:GrantOperations":["Encrypt","Decrypt"]},"Bool":{"kms:GrantIsForAWSResource":"true"}}}}"#;
const I_WINDOW: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:ScheduleKeyDeletion","Resource":"*","Condition":
{"NumericGreaterThanEquals":{"kms:ScheduleKeyDeletionPendingWindowInDays":14}}}}"#;
const I_IF_EXISTS: &str = r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":
{"StringEqualsIfExists":{"kms:EncryptionContext:dept":"finance"}}}}"#;

/// One row of the table.
struct Row {
    why: &'static str,
    key_policy: &'static str,
    identity: &'static [&'static str],
    granted: bool,
    principal: &'static str,
    action: &'static str,
    context: &'static [(&'static str, &'static str)],
    expected: Decision,
}

const fn row(
    why: &'static str,
    key_policy: &'static str,
    identity: &'static [&'static str],
    principal: &'static str,
    action: &'static str,
    context: &'static [(&'static str, &'static str)],
    expected: Decision,
) -> Row {
    Row { why, key_policy, identity, granted: false, principal, action, context, expected }
}

use Decision::{Allow, Deny, NotApplicable as Implicit};

const NONE: &[&str] = &[];
const NO_CONTEXT: &[(&str, &str)] = &[];
const WINDOW_7: &[(&str, &str)] = &[("kms:ScheduleKeyDeletionPendingWindowInDays", "7")];
const WINDOW_30: &[(&str, &str)] = &[("kms:ScheduleKeyDeletionPendingWindowInDays", "30")];
const WINDOW_14: &[(&str, &str)] = &[("kms:ScheduleKeyDeletionPendingWindowInDays", "14")];
const FINANCE: &[(&str, &str)] = &[("kms:EncryptionContext:dept", "finance"), ("kms:EncryptionContextKeys", "dept")];
const SALES: &[(&str, &str)] = &[("kms:EncryptionContext:dept", "sales"), ("kms:EncryptionContextKeys", "dept")];
const APOLLO: &[(&str, &str)] =
    &[("kms:EncryptionContext:project", "apollo-11"), ("kms:EncryptionContextKeys", "project")];
const GEMINI: &[(&str, &str)] =
    &[("kms:EncryptionContext:project", "gemini"), ("kms:EncryptionContextKeys", "project")];
const TWO_KEYS: &[(&str, &str)] = &[("kms:EncryptionContextKeys", "dept"), ("kms:EncryptionContextKeys", "project")];
const STRAY_KEY: &[(&str, &str)] = &[("kms:EncryptionContextKeys", "dept"), ("kms:EncryptionContextKeys", "owner")];
const INSIDE: &[(&str, &str)] = &[("aws:SourceIp", "10.1.2.3")];
const OUTSIDE: &[(&str, &str)] = &[("aws:SourceIp", "203.0.113.9")];
const THE_ONE: &[(&str, &str)] = &[("aws:SourceIp", "192.0.2.7")];
const IN_2026: &[(&str, &str)] = &[("aws:CurrentTime", "2026-12-04T10:00:00Z")];
const IN_2027: &[(&str, &str)] = &[("aws:CurrentTime", "2027-03-01T00:00:00Z")];
const BLUE: &[(&str, &str)] = &[("aws:ResourceTag/team", "blue")];
const RED: &[(&str, &str)] = &[("aws:ResourceTag/team", "red")];
const FROZEN: &[(&str, &str)] = &[("aws:ResourceTag/state", "frozen")];
const SYMMETRIC: &[(&str, &str)] =
    &[("kms:KeySpec", "SYMMETRIC_DEFAULT"), ("kms:KeyOrigin", "AWS_KMS"), ("kms:KeyUsage", "ENCRYPT_DECRYPT")];
const IMPORTED: &[(&str, &str)] =
    &[("kms:KeySpec", "SYMMETRIC_DEFAULT"), ("kms:KeyOrigin", "EXTERNAL"), ("kms:KeyUsage", "ENCRYPT_DECRYPT")];
const TAGS_OK: &[(&str, &str)] = &[("aws:TagKeys", "team"), ("aws:TagKeys", "cost"), ("aws:RequestTag/team", "blue")];
const TAGS_RED: &[(&str, &str)] = &[("aws:TagKeys", "team"), ("aws:RequestTag/team", "red")];
const TAGS_OTHER: &[(&str, &str)] = &[("aws:TagKeys", "owner")];
const TAG_COST_ONLY: &[(&str, &str)] = &[("aws:TagKeys", "cost")];
const CALLER_A: &[(&str, &str)] = &[("kms:CallerAccount", A)];
const CALLER_B: &[(&str, &str)] = &[("kms:CallerAccount", B)];
const ALICE_ARN: &[(&str, &str)] = &[("aws:PrincipalArn", ALICE)];
const BOB_ARN: &[(&str, &str)] = &[("aws:PrincipalArn", BOB)];
const GRANT_FOR_SERVICE: &[(&str, &str)] =
    &[("kms:GrantOperations", "Encrypt"), ("kms:GrantOperations", "Decrypt"), ("kms:GrantIsForAWSResource", "true")];
const GRANT_TOO_WIDE: &[(&str, &str)] = &[
    ("kms:GrantOperations", "Encrypt"),
    ("kms:GrantOperations", "ScheduleKeyDeletion"),
    ("kms:GrantIsForAWSResource", "true"),
];
const GRANT_FOR_PERSON: &[(&str, &str)] = &[("kms:GrantOperations", "Encrypt"), ("kms:GrantIsForAWSResource", "false")];

const ROWS: &[Row] = &[
    // The default key policy delegates to the account (the root user needs no identity policy).
    row(
        "the root user is allowed by a key policy that allows its account",
        DEFAULT,
        NONE,
        ROOT_A,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Allow,
    ),
    row("the root user: every action the account is allowed", DEFAULT, NONE, ROOT_A, "kms:Encrypt", NO_CONTEXT, Allow),
    row(
        "a user with no identity policy is denied: delegation needs an identity policy",
        DEFAULT,
        NONE,
        ALICE,
        "kms:Encrypt",
        NO_CONTEXT,
        Implicit,
    ),
    row(
        "a user whose identity policy allows kms:*",
        DEFAULT,
        &[I_ALL],
        ALICE,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Allow,
    ),
    row(
        "an identity policy that allows Encrypt on the account's keys",
        DEFAULT,
        &[I_ENCRYPT],
        ALICE,
        "kms:Encrypt",
        NO_CONTEXT,
        Allow,
    ),
    row("that policy does not allow Decrypt", DEFAULT, &[I_ENCRYPT], ALICE, "kms:Decrypt", NO_CONTEXT, Implicit),
    row("nor ScheduleKeyDeletion", DEFAULT, &[I_ENCRYPT], ALICE, "kms:ScheduleKeyDeletion", NO_CONTEXT, Implicit),
    row(
        "an identity Deny wins over its own Allow",
        DEFAULT,
        &[I_DENY_DELETE],
        ALICE,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Deny,
    ),
    row("the Deny is only for deletion", DEFAULT, &[I_DENY_DELETE], ALICE, "kms:CancelKeyDeletion", NO_CONTEXT, Allow),
    row(
        "an identity Deny wins over another identity policy's Allow",
        DEFAULT,
        &[I_ALL, I_DENY_DELETE],
        ALICE,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Deny,
    ),
    row(
        "an identity policy for another key allows nothing here",
        DEFAULT,
        &[I_OTHER_KEY],
        ALICE,
        "kms:Encrypt",
        NO_CONTEXT,
        Implicit,
    ),
    row(
        "action wildcards: kms:Describe* covers DescribeKey",
        DEFAULT,
        &[I_DESCRIBE_STAR],
        ALICE,
        "kms:DescribeKey",
        NO_CONTEXT,
        Allow,
    ),
    row(
        "kms:Describe* does not cover Decrypt",
        DEFAULT,
        &[I_DESCRIBE_STAR],
        ALICE,
        "kms:Decrypt",
        NO_CONTEXT,
        Implicit,
    ),
    row("action names ignore case", DEFAULT, &[I_DESCRIBE_STAR], ALICE, "KMS:describekey", NO_CONTEXT, Allow),
    row(
        "the root user is not stopped by a missing identity policy",
        DEFAULT,
        &[I_OTHER_KEY],
        ROOT_A,
        "kms:Decrypt",
        NO_CONTEXT,
        Allow,
    ),
    // A key policy that names a principal allows it without any identity policy.
    row(
        "a key administrator named in the key policy may schedule deletion",
        ADMINS,
        NONE,
        ALICE,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Allow,
    ),
    row("and cancel it", ADMINS, NONE, ALICE, "kms:CancelKeyDeletion", NO_CONTEXT, Allow),
    row("kms:Describe* in the administrators' statement", ADMINS, NONE, ALICE, "kms:DescribeKey", NO_CONTEXT, Allow),
    row("kms:Put* covers PutKeyPolicy", ADMINS, NONE, ALICE, "kms:PutKeyPolicy", NO_CONTEXT, Allow),
    row("administrators may not use the key", ADMINS, NONE, ALICE, "kms:Encrypt", NO_CONTEXT, Implicit),
    row(
        "unless an identity policy allows it, through the account statement",
        ADMINS,
        &[I_ENCRYPT],
        ALICE,
        "kms:Encrypt",
        NO_CONTEXT,
        Allow,
    ),
    row("another user is not an administrator", ADMINS, NONE, BOB, "kms:ScheduleKeyDeletion", NO_CONTEXT, Implicit),
    row(
        "the account ID as principal delegates like the root ARN",
        ADMINS,
        &[I_ALL],
        BOB,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Allow,
    ),
    row(
        "an identity Deny stops even a named administrator",
        ADMINS,
        &[I_DENY_DELETE],
        ALICE,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Deny,
    ),
    row(
        "the root user under the administrators' policy",
        ADMINS,
        NONE,
        ROOT_A,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Allow,
    ),
    // An explicit Deny in the key policy stops everyone, the root user included.
    row("a key policy Deny of everything stops the root user", DENY_ALL, NONE, ROOT_A, "kms:Encrypt", NO_CONTEXT, Deny),
    row("and every user, whatever their identity policies", DENY_ALL, &[I_ALL], ALICE, "kms:Encrypt", NO_CONTEXT, Deny),
    row("deletion too", DENY_ALL, NONE, ROOT_A, "kms:ScheduleKeyDeletion", NO_CONTEXT, Deny),
    row("and the policy itself", DENY_ALL, NONE, ROOT_A, "kms:PutKeyPolicy", NO_CONTEXT, Deny),
    row("a caller of another account too", DENY_ALL, &[I_ALL], CAROL, "kms:Decrypt", NO_CONTEXT, Deny),
    // kms:ScheduleKeyDeletionPendingWindowInDays forces the longest window.
    row(
        "a 7-day window is refused by the window condition",
        LONGEST_WINDOW,
        NONE,
        ROOT_A,
        "kms:ScheduleKeyDeletion",
        WINDOW_7,
        Deny,
    ),
    row("a 30-day window passes", LONGEST_WINDOW, NONE, ROOT_A, "kms:ScheduleKeyDeletion", WINDOW_30, Allow),
    row("a 14-day window is refused", LONGEST_WINDOW, &[I_ALL], ALICE, "kms:ScheduleKeyDeletion", WINDOW_14, Deny),
    row("the condition is only on deletion", LONGEST_WINDOW, NONE, ROOT_A, "kms:Encrypt", NO_CONTEXT, Allow),
    row(
        "without the key (not a deletion) a numeric condition is false, the Deny does not apply",
        LONGEST_WINDOW,
        NONE,
        ROOT_A,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Allow,
    ),
    row(
        "an identity policy that asks for 14 days or more: 14 passes",
        DEFAULT,
        &[I_WINDOW],
        ALICE,
        "kms:ScheduleKeyDeletion",
        WINDOW_14,
        Allow,
    ),
    row("7 does not", DEFAULT, &[I_WINDOW], ALICE, "kms:ScheduleKeyDeletion", WINDOW_7, Implicit),
    row(
        "numbers compare as numbers (30 ≥ 14)",
        DEFAULT,
        &[I_WINDOW],
        ALICE,
        "kms:ScheduleKeyDeletion",
        WINDOW_30,
        Allow,
    ),
    // Cross-account use.
    row(
        "account B's root user may encrypt when the key policy allows account B",
        CROSS,
        NONE,
        ROOT_B,
        "kms:Encrypt",
        NO_CONTEXT,
        Allow,
    ),
    row("a user of B needs B's identity policy too", CROSS, NONE, CAROL, "kms:Encrypt", NO_CONTEXT, Implicit),
    row("with it, the user of B may encrypt", CROSS, &[I_ALL], CAROL, "kms:Encrypt", NO_CONTEXT, Allow),
    row(
        "kms:GenerateDataKey* covers GenerateDataKeyWithoutPlaintext",
        CROSS,
        &[I_ALL],
        CAROL,
        "kms:GenerateDataKeyWithoutPlaintext",
        NO_CONTEXT,
        Allow,
    ),
    row(
        "account B may never schedule the deletion: the key policy does not allow it",
        CROSS,
        &[I_ALL],
        CAROL,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Implicit,
    ),
    row("nor B's root user", CROSS, NONE, ROOT_B, "kms:ScheduleKeyDeletion", NO_CONTEXT, Implicit),
    row("nor change the policy", CROSS, &[I_ALL], CAROL, "kms:PutKeyPolicy", NO_CONTEXT, Implicit),
    row("the default policy allows no other account", DEFAULT, &[I_ALL], CAROL, "kms:Encrypt", NO_CONTEXT, Implicit),
    row("nor its root user", DEFAULT, NONE, ROOT_B, "kms:Decrypt", NO_CONTEXT, Implicit),
    row(
        "a user of B named in the key policy still needs B's identity policy",
        CROSS_NAMED,
        NONE,
        CAROL,
        "kms:Decrypt",
        NO_CONTEXT,
        Implicit,
    ),
    row("with it, carol may decrypt", CROSS_NAMED, &[I_ALL], CAROL, "kms:Decrypt", NO_CONTEXT, Allow),
    row("only decrypt", CROSS_NAMED, &[I_ALL], CAROL, "kms:Encrypt", NO_CONTEXT, Implicit),
    row(
        "a policy that names only carol locks out the key's own root user",
        CROSS_NAMED,
        NONE,
        ROOT_A,
        "kms:Decrypt",
        NO_CONTEXT,
        Implicit,
    ),
    // Encryption context conditions.
    row("bob may decrypt finance's data", CONTEXT, NONE, BOB, "kms:Decrypt", FINANCE, Allow),
    row("not sales'", CONTEXT, NONE, BOB, "kms:Decrypt", SALES, Implicit),
    row(
        "not without a context: the key is absent, StringEquals is false",
        CONTEXT,
        NONE,
        BOB,
        "kms:Decrypt",
        NO_CONTEXT,
        Implicit,
    ),
    row("nor encrypt", CONTEXT, NONE, BOB, "kms:Encrypt", FINANCE, Implicit),
    row("the root user is not bound by bob's condition", CONTEXT, NONE, ROOT_A, "kms:Decrypt", SALES, Allow),
    row("StringNotEquals: sales is not finance", DEFAULT, &[I_NOT_FINANCE], ALICE, "kms:Decrypt", SALES, Allow),
    row("StringNotEquals: finance is", DEFAULT, &[I_NOT_FINANCE], ALICE, "kms:Decrypt", FINANCE, Implicit),
    row(
        "StringNotEquals with the key absent is true",
        DEFAULT,
        &[I_NOT_FINANCE],
        ALICE,
        "kms:Decrypt",
        NO_CONTEXT,
        Allow,
    ),
    row("StringLike with a wildcard: apollo-11", DEFAULT, &[I_LIKE_PROJECT], ALICE, "kms:Decrypt", APOLLO, Allow),
    row(
        "StringLike: gemini does not match apollo-*",
        DEFAULT,
        &[I_LIKE_PROJECT],
        ALICE,
        "kms:Decrypt",
        GEMINI,
        Implicit,
    ),
    row("StringEqualsIgnoreCase: FINANCE is finance", DEFAULT, &[I_IGNORE_CASE], ALICE, "kms:Decrypt", FINANCE, Allow),
    row("StringEqualsIgnoreCase: sales is not", DEFAULT, &[I_IGNORE_CASE], ALICE, "kms:Decrypt", SALES, Implicit),
    row("…IfExists: absent key passes", DEFAULT, &[I_IF_EXISTS], ALICE, "kms:Encrypt", NO_CONTEXT, Allow),
    row("…IfExists: present key must match", DEFAULT, &[I_IF_EXISTS], ALICE, "kms:Encrypt", SALES, Implicit),
    row("…IfExists: present and matching", DEFAULT, &[I_IF_EXISTS], ALICE, "kms:Encrypt", FINANCE, Allow),
    row(
        "ForAnyValue: one of the context's keys is listed",
        DEFAULT,
        &[I_ANY_CONTEXT_KEY],
        ALICE,
        "kms:Decrypt",
        FINANCE,
        Allow,
    ),
    row("ForAnyValue: with both keys", DEFAULT, &[I_ANY_CONTEXT_KEY], ALICE, "kms:Decrypt", TWO_KEYS, Allow),
    row(
        "ForAnyValue: no context (empty set) is false",
        DEFAULT,
        &[I_ANY_CONTEXT_KEY],
        ALICE,
        "kms:Decrypt",
        NO_CONTEXT,
        Implicit,
    ),
    row(
        "ForAnyValue: a listed key among others",
        DEFAULT,
        &[I_ANY_CONTEXT_KEY],
        ALICE,
        "kms:Decrypt",
        STRAY_KEY,
        Allow,
    ),
    row("ForAllValues: every key listed", DEFAULT, &[I_ONLY_CONTEXT_KEYS], ALICE, "kms:Encrypt", TWO_KEYS, Allow),
    row("ForAllValues: a stray key fails", DEFAULT, &[I_ONLY_CONTEXT_KEYS], ALICE, "kms:Encrypt", STRAY_KEY, Implicit),
    row(
        "ForAllValues: an empty set passes (AWS's warning about it)",
        DEFAULT,
        &[I_ONLY_CONTEXT_KEYS],
        ALICE,
        "kms:Encrypt",
        NO_CONTEXT,
        Allow,
    ),
    row(
        "Null: a Deny of calls without a context applies when there is none",
        DEFAULT,
        &[I_CONTEXT_REQUIRED],
        ALICE,
        "kms:Encrypt",
        NO_CONTEXT,
        Deny,
    ),
    row(
        "Null: with a context the Deny does not apply",
        DEFAULT,
        &[I_CONTEXT_REQUIRED],
        ALICE,
        "kms:Encrypt",
        FINANCE,
        Allow,
    ),
    row(
        "Null: other actions are not concerned",
        DEFAULT,
        &[I_CONTEXT_REQUIRED],
        ALICE,
        "kms:DescribeKey",
        NO_CONTEXT,
        Allow,
    ),
    // Network and time.
    row("IpAddress: inside the block", DEFAULT, &[I_IP], ALICE, "kms:Encrypt", INSIDE, Allow),
    row("IpAddress: outside it", DEFAULT, &[I_IP], ALICE, "kms:Encrypt", OUTSIDE, Implicit),
    row("IpAddress: the one address listed", DEFAULT, &[I_IP], ALICE, "kms:Encrypt", THE_ONE, Allow),
    row("IpAddress: no address known is false", DEFAULT, &[I_IP], ALICE, "kms:Encrypt", NO_CONTEXT, Implicit),
    row("NotIpAddress Deny: outside the network is denied", DEFAULT, &[I_NOT_IP], ALICE, "kms:Decrypt", OUTSIDE, Deny),
    row("NotIpAddress Deny: inside it is allowed", DEFAULT, &[I_NOT_IP], ALICE, "kms:Decrypt", INSIDE, Allow),
    row("DateLessThan: before the date", DEFAULT, &[I_BEFORE_2027], ALICE, "kms:Encrypt", IN_2026, Allow),
    row("DateLessThan: after it", DEFAULT, &[I_BEFORE_2027], ALICE, "kms:Encrypt", IN_2027, Implicit),
    // Resource tags and request tags.
    row("aws:ResourceTag: the team's key", DEFAULT, &[I_TEAM_TAG], ALICE, "kms:Encrypt", BLUE, Allow),
    row("aws:ResourceTag: another team's key", DEFAULT, &[I_TEAM_TAG], ALICE, "kms:Encrypt", RED, Implicit),
    row("aws:ResourceTag: an untagged key", DEFAULT, &[I_TEAM_TAG], ALICE, "kms:Encrypt", NO_CONTEXT, Implicit),
    row("a key policy Deny while the key is frozen", KEY_FACTS, &[I_ALL], ALICE, "kms:Encrypt", FROZEN, Deny),
    row("the freeze stops the root user too", KEY_FACTS, NONE, ROOT_A, "kms:Decrypt", FROZEN, Deny),
    row(
        "aws:TagKeys and aws:RequestTag: allowed tags",
        DEFAULT,
        &[I_REQUEST_TAG],
        ALICE,
        "kms:TagResource",
        TAGS_OK,
        Allow,
    ),
    row("a tag value not allowed", DEFAULT, &[I_REQUEST_TAG], ALICE, "kms:TagResource", TAGS_RED, Implicit),
    row("a tag key not allowed", DEFAULT, &[I_REQUEST_TAG], ALICE, "kms:TagResource", TAGS_OTHER, Implicit),
    row(
        "an allowed key without team: the IfExists test passes",
        DEFAULT,
        &[I_REQUEST_TAG],
        ALICE,
        "kms:TagResource",
        TAG_COST_ONLY,
        Allow,
    ),
    // Key facts KMS puts in the context.
    row(
        "kms:KeySpec, kms:KeyOrigin and kms:KeyUsage all hold",
        KEY_FACTS,
        NONE,
        BOB,
        "kms:ScheduleKeyDeletion",
        SYMMETRIC,
        Allow,
    ),
    row("an imported key's origin does not", KEY_FACTS, NONE, BOB, "kms:ScheduleKeyDeletion", IMPORTED, Implicit),
    row(
        "keys under one operator must all hold (none known)",
        KEY_FACTS,
        NONE,
        BOB,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Implicit,
    ),
    row("kms:CallerAccount: the key's own account", CALLER_ACCOUNT, NONE, ALICE, "kms:Encrypt", CALLER_A, Allow),
    row("kms:CallerAccount: another account", CALLER_ACCOUNT, &[I_ALL], CAROL, "kms:Encrypt", CALLER_B, Implicit),
    row(
        "Principal * with a condition: other actions are not allowed",
        CALLER_ACCOUNT,
        NONE,
        ALICE,
        "kms:Decrypt",
        CALLER_A,
        Implicit,
    ),
    row(
        "a policy that does not allow the root user locks it out",
        NO_ROOT,
        NONE,
        ROOT_A,
        "kms:PutKeyPolicy",
        NO_CONTEXT,
        Implicit,
    ),
    row("whatever identity policies the account has", NO_ROOT, &[I_ALL], BOB, "kms:Encrypt", NO_CONTEXT, Implicit),
    row("while the named user may do everything", NO_ROOT, NONE, ALICE, "kms:PutKeyPolicy", NO_CONTEXT, Allow),
    row("aws:PrincipalArn with ArnLike: alice", DEFAULT, &[I_PRINCIPAL_ARN], ALICE, "kms:Encrypt", ALICE_ARN, Allow),
    row("aws:PrincipalArn with ArnLike: bob", DEFAULT, &[I_PRINCIPAL_ARN], BOB, "kms:Encrypt", BOB_ARN, Implicit),
    row(
        "kms:GrantOperations within the allowed set, for an AWS resource",
        DEFAULT,
        &[I_GRANT_OPS],
        ALICE,
        "kms:CreateGrant",
        GRANT_FOR_SERVICE,
        Allow,
    ),
    row("an operation outside the set", DEFAULT, &[I_GRANT_OPS], ALICE, "kms:CreateGrant", GRANT_TOO_WIDE, Implicit),
    row(
        "Bool: a grant for a person is not for an AWS resource",
        DEFAULT,
        &[I_GRANT_OPS],
        ALICE,
        "kms:CreateGrant",
        GRANT_FOR_PERSON,
        Implicit,
    ),
    // NotPrincipal, NotAction, NotResource.
    row(
        "NotPrincipal Deny: everyone but alice is refused deletion",
        NOT_PRINCIPAL,
        &[I_ALL],
        BOB,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Deny,
    ),
    row("the root user is not alice either", NOT_PRINCIPAL, NONE, ROOT_A, "kms:ScheduleKeyDeletion", NO_CONTEXT, Deny),
    row(
        "alice is spared the Deny, and allowed through her identity policy",
        NOT_PRINCIPAL,
        &[I_ALL],
        ALICE,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Allow,
    ),
    row("the NotPrincipal Deny is only about deletion", NOT_PRINCIPAL, &[I_ALL], BOB, "kms:Encrypt", NO_CONTEXT, Allow),
    row("NotAction Allow: bob may encrypt", NOT_ACTION, NONE, BOB, "kms:Encrypt", NO_CONTEXT, Allow),
    row(
        "NotAction Allow: but not schedule deletion",
        NOT_ACTION,
        NONE,
        BOB,
        "kms:ScheduleKeyDeletion",
        NO_CONTEXT,
        Implicit,
    ),
    row("NotAction Allow: nor cancel it", NOT_ACTION, NONE, BOB, "kms:CancelKeyDeletion", NO_CONTEXT, Implicit),
    row(
        "that policy names no root: the root user is locked out",
        NOT_ACTION,
        NONE,
        ROOT_A,
        "kms:Encrypt",
        NO_CONTEXT,
        Implicit,
    ),
    row(
        "NotResource Deny: this key is excluded from the Deny",
        NOT_RESOURCE,
        NONE,
        ROOT_A,
        "kms:Encrypt",
        NO_CONTEXT,
        Allow,
    ),
];

#[test]
fn every_row_of_the_evaluation_table_decides_as_aws_documents() {
    assert!(ROWS.len() >= 100, "{} rows", ROWS.len());
    for row in ROWS {
        let key_policy = PolicyDocument::parse(row.key_policy).unwrap_or_else(|e| panic!("{}: {e}", row.why));
        let identity: Vec<PolicyDocument> = row
            .identity
            .iter()
            .map(|text| PolicyDocument::parse(text).unwrap_or_else(|e| panic!("{}: {e}", row.why)))
            .collect();
        let context = row.context.iter().fold(RequestContext::new(), |context, (key, value)| context.with(key, *value));
        let account = row.principal.split(':').nth(4).unwrap_or_default();
        let request =
            Request { principal: row.principal, account, action: row.action, resource: KEY, context: &context };
        let access =
            KeyAccess { key_policy: &key_policy, key_account: A, identity_policies: &identity, granted: row.granted };
        assert_eq!(kms_decision(&access, &request), row.expected, "{}", row.why);
    }
}

#[test]
fn a_grant_allows_what_no_policy_does_but_never_past_a_deny() {
    let (key_policy, denied) = (PolicyDocument::parse(DEFAULT).unwrap(), PolicyDocument::parse(DENY_ALL).unwrap());
    let context = RequestContext::new();
    for (policy, principal, expected) in [(&key_policy, BOB, Allow), (&key_policy, CAROL, Allow), (&denied, BOB, Deny)]
    {
        let account = principal.split(':').nth(4).unwrap_or_default();
        let request = Request { principal, account, action: "kms:Decrypt", resource: KEY, context: &context };
        let access = KeyAccess { key_policy: policy, key_account: A, identity_policies: &[], granted: true };
        assert_eq!(kms_decision(&access, &request), expected, "{principal}");
    }
}

#[test]
fn the_shortcut_for_the_root_user_agrees_with_the_evaluation() {
    for (policy, expected) in
        [(DEFAULT, true), (ADMINS, true), (DENY_ALL, false), (LONGEST_WINDOW, false), (NO_ROOT, false), (CONTEXT, true)]
    {
        let document = PolicyDocument::parse(policy).unwrap();
        assert_eq!(document.allows_root_everything(A), expected, "{policy}");
        assert!(!document.allows_root_everything(B), "only its own account: {policy}");
        if expected {
            for row in ROWS.iter().filter(|row| row.key_policy == policy && row.principal == ROOT_A) {
                assert_eq!(row.expected, Allow, "{}", row.why);
            }
        }
    }
}
