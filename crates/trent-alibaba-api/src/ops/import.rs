//! Imported key material on Alibaba's API (`alibaba-kms-api.md`, the import rows): GetParametersForImport
//! (`RSAES_OAEP_SHA_1` or `RSAES_OAEP_SHA_256` with `RSA_2048`; the public key as base64 DER, `TokenExpireTime` 24
//! hours on), ImportKeyMaterial (`KeyMaterialExpireUnix`, 0 or absent for never) and DeleteKeyMaterial, over the same
//! service operations as AWS's, so the same material, token and state rules hold. `RSAES_PKCS1_V1_5`, which Alibaba
//! still lists, is refused (AWS dropped it in 2023 for its padding-oracle risk; Trent offers no wrapping with it), and
//! so are the SM2 algorithms (not in aws-lc).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use trent_crypto::{WrappingAlgorithm, WrappingKeySpec};
use trent_domain::Timestamp;
use trent_service::ops::import_key_material::ImportInput;
use trent_service::{RequestContext, Service};

use super::{about, key_id, nothing, Outcome};
use crate::error::WireError;
use crate::params::Params;
use crate::shapes;

pub(super) async fn get_parameters_for_import(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key_id = key_id(p)?;
    let algorithm = match p.required("WrappingAlgorithm")? {
        "RSAES_OAEP_SHA_1" => WrappingAlgorithm::RsaesOaepSha1,
        "RSAES_OAEP_SHA_256" => WrappingAlgorithm::RsaesOaepSha256,
        other @ ("RSAES_PKCS1_V1_5" | "SM2PKE") => {
            return Err(WireError::unsupported(format!(
                "The wrapping algorithm {other} is not supported by Trent; use RSAES_OAEP_SHA_256."
            ))
            .into())
        }
        _ => return Err(WireError::invalid_parameter("WrappingAlgorithm").into()),
    };
    let spec = match p.required("WrappingKeySpec")? {
        "RSA_2048" => WrappingKeySpec::Rsa2048,
        "EC_SM2" => {
            return Err(WireError::unsupported("The wrapping key spec EC_SM2 is not supported by Trent.").into())
        }
        _ => return Err(WireError::invalid_parameter("WrappingKeySpec").into()),
    };
    let issued = service.get_parameters_for_import(ctx, &key_id, algorithm, spec).await?;
    let shape = shapes::ImportParameters {
        key_id: issued.key.id.to_string(),
        import_token: BASE64.encode(&issued.parameters.token),
        public_key: BASE64.encode(&issued.parameters.public_key),
        token_expire_time: trent_audit::iso8601(issued.valid_to),
    };
    about(ctx, &shape, &issued.key)
}

pub(super) async fn import_key_material(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    let key_id = key_id(p)?;
    let encrypted_key_material = p.base64("EncryptedKeyMaterial")?;
    let import_token = p.base64("ImportToken")?;
    let valid_to = match p.integer("KeyMaterialExpireUnix", 0..=i64::MAX / 1000)? {
        None | Some(0) => None,
        Some(seconds) => Some(Timestamp(seconds * 1000)),
    };
    let input = ImportInput {
        key_id,
        import_token,
        encrypted_key_material,
        valid_to,
        import_type: None,
        description: None,
        key_material_id: None,
    };
    service.import_key_material(ctx, input).await?;
    nothing(ctx)
}

pub(super) async fn delete_key_material(service: &Service, ctx: &RequestContext, p: Params<'_>) -> Outcome {
    service.delete_imported_key_material(ctx, &key_id(p)?, None).await?;
    nothing(ctx)
}
