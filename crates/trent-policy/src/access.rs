//! What a statement gives, read without a request: the KMS actions on a key it covers, and whether it covers a
//! resource. Answers "who could use this key?" from the policies themselves, before anyone asks for anything.

use crate::document::Statement;
use crate::evaluate::covers;

/// Every action a policy can give on a KMS key (IAM's actions for KMS whose resource is a key), in name order.
pub const KMS_KEY_ACTIONS: &[&str] = &[
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:Decapsulate",
    "kms:Decrypt",
    "kms:DeleteAlias",
    "kms:DeleteImportedKeyMaterial",
    "kms:DeriveSharedSecret",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encapsulate",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateMac",
    "kms:GetKeyLastUsage",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:GetParametersForImport",
    "kms:GetPublicKey",
    "kms:ImportKeyMaterial",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:ReplicateKey",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:Sign",
    "kms:SynchronizeMultiRegionKey",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
    "kms:UpdatePrimaryRegion",
    "kms:Verify",
    "kms:VerifyMac",
];

impl Statement {
    /// The actions among `actions` that this statement's `Action` (or `NotAction`) covers.
    pub fn actions_among<'a>(&self, actions: &[&'a str]) -> Vec<&'a str> {
        actions.iter().copied().filter(|action| covers(&self.action, action, true)).collect()
    }

    /// True when this statement's `Resource` (or `NotResource`) covers `resource`; a statement without one (a key
    /// policy's) covers its key.
    pub fn covers_resource(&self, resource: &str) -> bool {
        self.resource.as_ref().is_none_or(|list| covers(list, resource, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PolicyDocument;

    #[test]
    fn a_statement_gives_the_actions_its_patterns_cover_on_the_resources_it_names() {
        let policy = PolicyDocument::parse(
            r#"{"Statement":[{"Effect":"Allow","Action":["kms:Describe*","kms:Encrypt"],"Resource":"arn:aws:kms:*:111122223333:key/*"},
            {"Effect":"Allow","NotAction":"kms:*Delet*","Resource":"*"}]}"#,
        )
        .unwrap();
        let [first, second] = &policy.statements[..] else { panic!("two statements") };
        assert_eq!(first.actions_among(KMS_KEY_ACTIONS), ["kms:DescribeKey", "kms:Encrypt"]);
        assert!(first.covers_resource("arn:aws:kms:eu-west-1:111122223333:key/abc"));
        assert!(!first.covers_resource("arn:aws:kms:eu-west-1:444455556666:key/abc"));
        let not_deleting = second.actions_among(KMS_KEY_ACTIONS);
        assert!(!not_deleting.contains(&"kms:ScheduleKeyDeletion") && !not_deleting.contains(&"kms:CancelKeyDeletion"));
        assert!(not_deleting.contains(&"kms:Decrypt"));
        let mut sorted = KMS_KEY_ACTIONS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, KMS_KEY_ACTIONS, "in name order");
    }
}
