//! The AWS KMS JSON 1.1 edge: `X-Amz-Target` to [`Operation`], request parsing and the model's constraints,
//! response shapes, and the one table of wire errors ([`AwsErrorCode`]).
#![warn(missing_docs)]

pub mod audited;
pub mod error;
pub mod extensions;
pub mod operation;
pub mod ops;
pub mod shapes;
pub mod validate;

use trent_service::{RequestContext, Service, ServiceError};

use crate::shapes::Reply;

pub use error::{AwsError, AwsErrorCode};
pub use extensions::{Extension, Target};
pub use operation::Operation;

/// The JSON content type AWS KMS speaks.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// An operation under way: its own future, on the heap. Boxed per operation, so that what awaits it holds a pointer
/// instead of room for the largest of all operations' futures (a request's future was 38 KB and moved by copying,
/// measured at a tenth of an Encrypt's CPU).
pub type Answering<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Reply, AwsError>> + Send + 'a>>;

/// Runs one operation on a request body; returns the response body or the wire error.
pub fn dispatch<'a>(
    service: &'a Service,
    ctx: &'a RequestContext,
    operation: Operation,
    body: &'a [u8],
) -> Answering<'a> {
    use Operation as O;
    /// The operation's own future, boxed at its own size (see [`Answering`]).
    macro_rules! run {
        ($op:ident) => {
            Box::pin(ops::$op::handle(service, ctx, body))
        };
    }
    match operation {
        O::CancelKeyDeletion => run!(cancel_key_deletion),
        O::CreateAlias => run!(create_alias),
        O::CreateKey => run!(create_key),
        O::Decapsulate => run!(decapsulate),
        O::Decrypt => run!(decrypt),
        O::DeleteAlias => run!(delete_alias),
        O::DeleteImportedKeyMaterial => run!(delete_imported_key_material),
        O::DeriveSharedSecret => run!(derive_shared_secret),
        O::DescribeKey => run!(describe_key),
        O::DisableKey => run!(disable_key),
        O::DisableKeyRotation => run!(disable_key_rotation),
        O::EnableKey => run!(enable_key),
        O::EnableKeyRotation => run!(enable_key_rotation),
        O::Encapsulate => run!(encapsulate),
        O::Encrypt => run!(encrypt),
        O::GenerateDataKey => run!(generate_data_key),
        O::GenerateDataKeyPair => run!(generate_data_key_pair),
        O::GenerateDataKeyPairWithoutPlaintext => {
            run!(generate_data_key_pair_without_plaintext)
        }
        O::GenerateDataKeyWithoutPlaintext => {
            run!(generate_data_key_without_plaintext)
        }
        O::GenerateMac => run!(generate_mac),
        O::GenerateRandom => run!(generate_random),
        O::GetKeyLastUsage => run!(get_key_last_usage),
        O::GetKeyPolicy => run!(get_key_policy),
        O::GetKeyRotationStatus => run!(get_key_rotation_status),
        O::GetParametersForImport => run!(get_parameters_for_import),
        O::GetPublicKey => run!(get_public_key),
        O::ImportKeyMaterial => run!(import_key_material),
        O::ListAliases => run!(list_aliases),
        O::ListKeyPolicies => run!(list_key_policies),
        O::ListKeyRotations => run!(list_key_rotations),
        O::ListKeys => run!(list_keys),
        O::ListResourceTags => run!(list_resource_tags),
        O::PutKeyPolicy => run!(put_key_policy),
        O::ReEncrypt => run!(re_encrypt),
        O::ReplicateKey => run!(replicate_key),
        O::RotateKeyOnDemand => run!(rotate_key_on_demand),
        O::ScheduleKeyDeletion => run!(schedule_key_deletion),
        O::Sign => run!(sign),
        O::TagResource => run!(tag_resource),
        O::UntagResource => run!(untag_resource),
        O::UpdateAlias => run!(update_alias),
        O::UpdateKeyDescription => run!(update_key_description),
        O::UpdatePrimaryRegion => run!(update_primary_region),
        O::Verify => run!(verify),
        O::VerifyMac => run!(verify_mac),
        O::CreateGrant => run!(create_grant),
        O::ListGrants => run!(list_grants),
        O::ListRetirableGrants => run!(list_retirable_grants),
        O::RetireGrant => run!(retire_grant),
        O::RevokeGrant => run!(revoke_grant),
        O::ConnectCustomKeyStore
        | O::CreateCustomKeyStore
        | O::DeleteCustomKeyStore
        | O::DescribeCustomKeyStores
        | O::DisconnectCustomKeyStore
        | O::UpdateCustomKeyStore => Box::pin(std::future::ready(Err(not_built(operation)))),
    }
}

/// The answer for an AWS operation Trent does not implement yet: it names the operation.
pub fn not_built(operation: Operation) -> AwsError {
    ServiceError::Unsupported(format!("Trent does not support the {} operation yet.", operation.name())).into()
}
