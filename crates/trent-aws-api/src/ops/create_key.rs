//! The edge of CreateKey: model checks, then the service; answers with the new key's KeyMetadata.

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    policy: Option<String>,
    description: Option<String>,
    key_usage: Option<String>,
    customer_master_key_spec: Option<String>,
    key_spec: Option<String>,
    origin: Option<String>,
    custom_key_store_id: Option<String>,
    #[allow(dead_code)]
    bypass_policy_lockout_safety_check: Option<bool>,
    tags: Option<Vec<WireTag>>,
    multi_region: Option<bool>,
    xks_key_id: Option<String>,
}

const KEY_USAGES: &[&str] =
    &["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT", "ENCAPSULATE_DECAPSULATE"];
const KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
    "ML_DSA_44",
    "ML_DSA_65",
    "ML_DSA_87",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_512",
    "ML_KEM_768",
    "ML_KEM_1024",
];
const CUSTOMER_MASTER_KEY_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
];
const ORIGINS: &[&str] = &["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"];

/// Handles CreateKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    v.length("policy", request.policy.as_deref(), 1, 131_072)
        .pattern("policy", request.policy.as_deref(), "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+", |c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')
        })
        .length("description", request.description.as_deref(), 0, 8192)
        .one_of("keyUsage", request.key_usage.as_deref(), KEY_USAGES)
        .one_of("customerMasterKeySpec", request.customer_master_key_spec.as_deref(), CUSTOMER_MASTER_KEY_SPECS)
        .one_of("keySpec", request.key_spec.as_deref(), KEY_SPECS)
        .one_of("origin", request.origin.as_deref(), ORIGINS)
        .length("customKeyStoreId", request.custom_key_store_id.as_deref(), 1, 64)
        .length("xksKeyId", request.xks_key_id.as_deref(), 1, 128);
    let tags = tags(&mut v, "tags", request.tags.as_deref());
    v.finish()?;
    let input = trent_service::ops::create_key::CreateKeyInput {
        description: request.description,
        key_spec: request.key_spec,
        customer_master_key_spec: request.customer_master_key_spec,
        key_usage: request.key_usage,
        origin: request.origin,
        policy: request.policy,
        tags,
        multi_region: request.multi_region,
        custom_key_store_id: request.custom_key_store_id,
        xks_key_id: request.xks_key_id,
        bypass_policy_lockout_safety_check: request.bypass_policy_lockout_safety_check.unwrap_or(false),
    };
    let key = service.create_key(ctx, input).await?;
    let metadata = KeyMetadata::of(&key).in_set(key.multi_region, std::slice::from_ref(&key));
    response(&KeyMetadataResponse { key_metadata: metadata })
}
