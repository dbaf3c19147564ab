//! Every operation of the AWS KMS API (botocore's `kms/2014-11-01` model), parsed from `X-Amz-Target`.

use crate::error::{AwsError, AwsErrorCode};

/// The `X-Amz-Target` prefix of AWS KMS.
pub const TARGET_PREFIX: &str = "TrentService.";

macro_rules! operations {
    ($($name:ident),* $(,)?) => {
        /// An AWS KMS operation, with AWS's names, in the model's (alphabetical) order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Operation {
            $(
                #[doc = concat!("`", stringify!($name), "`")]
                $name,
            )*
        }

        impl Operation {
            /// Every operation.
            pub const ALL: &'static [Operation] = &[$(Operation::$name),*];

            /// The operation's name as in `X-Amz-Target`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$name => stringify!($name),)*
                }
            }

            /// The operation named `name` (as in `X-Amz-Target`, after the prefix): one `match` on the text, where a
            /// search of [`Operation::ALL`] called [`Operation::name`] for each operation in turn.
            fn named(name: &str) -> Option<Self> {
                match name {
                    $(stringify!($name) => Some(Operation::$name),)*
                    _ => None,
                }
            }
        }
    };
}

operations!(
    CancelKeyDeletion,
    ConnectCustomKeyStore,
    CreateAlias,
    CreateCustomKeyStore,
    CreateGrant,
    CreateKey,
    Decapsulate,
    Decrypt,
    DeleteAlias,
    DeleteCustomKeyStore,
    DeleteImportedKeyMaterial,
    DeriveSharedSecret,
    DescribeCustomKeyStores,
    DescribeKey,
    DisableKey,
    DisableKeyRotation,
    DisconnectCustomKeyStore,
    EnableKey,
    EnableKeyRotation,
    Encapsulate,
    Encrypt,
    GenerateDataKey,
    GenerateDataKeyPair,
    GenerateDataKeyPairWithoutPlaintext,
    GenerateDataKeyWithoutPlaintext,
    GenerateMac,
    GenerateRandom,
    GetKeyLastUsage,
    GetKeyPolicy,
    GetKeyRotationStatus,
    GetParametersForImport,
    GetPublicKey,
    ImportKeyMaterial,
    ListAliases,
    ListGrants,
    ListKeyPolicies,
    ListKeyRotations,
    ListKeys,
    ListResourceTags,
    ListRetirableGrants,
    PutKeyPolicy,
    ReEncrypt,
    ReplicateKey,
    RetireGrant,
    RevokeGrant,
    RotateKeyOnDemand,
    ScheduleKeyDeletion,
    Sign,
    TagResource,
    UntagResource,
    UpdateAlias,
    UpdateCustomKeyStore,
    UpdateKeyDescription,
    UpdatePrimaryRegion,
    Verify,
    VerifyMac,
);

impl Operation {
    /// Parses an `X-Amz-Target` header value such as `TrentService.ScheduleKeyDeletion`.
    pub fn from_target(target: &str) -> Result<Self, AwsError> {
        target
            .strip_prefix(TARGET_PREFIX)
            .and_then(Self::named)
            .ok_or_else(|| AwsError::new(AwsErrorCode::UnknownOperationException, String::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operation names of botocore 1.44.5's KMS model, copied from `service-2.json`.
    const BOTOCORE_OPERATIONS: &str = include_str!("../../../vectors/botocore-kms-operations.txt");

    #[test]
    fn every_botocore_operation_parses() {
        let names: Vec<&str> = BOTOCORE_OPERATIONS.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
        assert_eq!(names.len(), Operation::ALL.len());
        for name in names {
            let op = Operation::from_target(&format!("TrentService.{name}")).unwrap();
            assert_eq!(op.name(), name);
        }
    }

    #[test]
    fn unknown_targets_are_unknown_operations() {
        for target in ["TrentService.Nope", "KMS.Encrypt", "Encrypt", ""] {
            assert_eq!(Operation::from_target(target).unwrap_err().code, AwsErrorCode::UnknownOperationException);
        }
    }
}
