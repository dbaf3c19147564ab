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

/// Runs one operation on a request body; returns the response body or the wire error.
pub async fn dispatch(
    service: &Service,
    ctx: &RequestContext,
    operation: Operation,
    body: &[u8],
) -> Result<Reply, AwsError> {
    use Operation as O;
    match operation {
        O::CancelKeyDeletion => ops::cancel_key_deletion::handle(service, ctx, body).await,
        O::CreateAlias => ops::create_alias::handle(service, ctx, body).await,
        O::CreateKey => ops::create_key::handle(service, ctx, body).await,
        O::Decapsulate => ops::decapsulate::handle(service, ctx, body).await,
        O::Decrypt => ops::decrypt::handle(service, ctx, body).await,
        O::DeleteAlias => ops::delete_alias::handle(service, ctx, body).await,
        O::DeriveSharedSecret => ops::derive_shared_secret::handle(service, ctx, body).await,
        O::DescribeKey => ops::describe_key::handle(service, ctx, body).await,
        O::DisableKey => ops::disable_key::handle(service, ctx, body).await,
        O::EnableKey => ops::enable_key::handle(service, ctx, body).await,
        O::Encapsulate => ops::encapsulate::handle(service, ctx, body).await,
        O::Encrypt => ops::encrypt::handle(service, ctx, body).await,
        O::GenerateDataKey => ops::generate_data_key::handle(service, ctx, body).await,
        O::GenerateDataKeyPair => ops::generate_data_key_pair::handle(service, ctx, body).await,
        O::GenerateDataKeyPairWithoutPlaintext => {
            ops::generate_data_key_pair_without_plaintext::handle(service, ctx, body).await
        }
        O::GenerateDataKeyWithoutPlaintext => {
            ops::generate_data_key_without_plaintext::handle(service, ctx, body).await
        }
        O::GenerateMac => ops::generate_mac::handle(service, ctx, body).await,
        O::GenerateRandom => ops::generate_random::handle(service, ctx, body).await,
        O::GetKeyLastUsage => ops::get_key_last_usage::handle(service, ctx, body).await,
        O::GetKeyPolicy => ops::get_key_policy::handle(service, ctx, body).await,
        O::GetPublicKey => ops::get_public_key::handle(service, ctx, body).await,
        O::ListAliases => ops::list_aliases::handle(service, ctx, body).await,
        O::ListKeyPolicies => ops::list_key_policies::handle(service, ctx, body).await,
        O::ListKeys => ops::list_keys::handle(service, ctx, body).await,
        O::ListResourceTags => ops::list_resource_tags::handle(service, ctx, body).await,
        O::PutKeyPolicy => ops::put_key_policy::handle(service, ctx, body).await,
        O::ReEncrypt => ops::re_encrypt::handle(service, ctx, body).await,
        O::ScheduleKeyDeletion => ops::schedule_key_deletion::handle(service, ctx, body).await,
        O::Sign => ops::sign::handle(service, ctx, body).await,
        O::TagResource => ops::tag_resource::handle(service, ctx, body).await,
        O::UntagResource => ops::untag_resource::handle(service, ctx, body).await,
        O::UpdateAlias => ops::update_alias::handle(service, ctx, body).await,
        O::UpdateKeyDescription => ops::update_key_description::handle(service, ctx, body).await,
        O::Verify => ops::verify::handle(service, ctx, body).await,
        O::VerifyMac => ops::verify_mac::handle(service, ctx, body).await,
        O::ConnectCustomKeyStore
        | O::CreateCustomKeyStore
        | O::CreateGrant
        | O::DeleteCustomKeyStore
        | O::DeleteImportedKeyMaterial
        | O::DescribeCustomKeyStores
        | O::DisableKeyRotation
        | O::DisconnectCustomKeyStore
        | O::EnableKeyRotation
        | O::GetKeyRotationStatus
        | O::GetParametersForImport
        | O::ImportKeyMaterial
        | O::ListGrants
        | O::ListKeyRotations
        | O::ListRetirableGrants
        | O::ReplicateKey
        | O::RetireGrant
        | O::RevokeGrant
        | O::RotateKeyOnDemand
        | O::UpdateCustomKeyStore
        | O::UpdatePrimaryRegion => Err(not_built(operation)),
    }
}

/// The answer for an AWS operation Trent does not implement yet: it names the operation.
pub fn not_built(operation: Operation) -> AwsError {
    ServiceError::Unsupported(format!("Trent does not support the {} operation yet.", operation.name())).into()
}
