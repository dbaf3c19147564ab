//! The edge of GenerateDataKeyPair: KeyId, KeyPairSpec, an optional encryption context, DryRun; answers the private
//! key in plaintext (PKCS #8) and encrypted, the public key (DER SubjectPublicKeyInfo), the KeyId and KeyPairSpec.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};
use trent_service::ops::generate_data_key_pair::DataKeyPairRequest;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

/// The model's `DataKeyPairSpec`.
const DATA_KEY_PAIR_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SM2",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_512",
    "ML_KEM_768",
    "ML_KEM_1024",
];

/// GenerateDataKeyPair's and GenerateDataKeyPairWithoutPlaintext's members (the same in the model, bar Recipient).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataKeyPairMembers {
    key_id: Option<String>,
    key_pair_spec: Option<String>,
    encryption_context: Option<BTreeMap<String, String>>,
    grant_tokens: Option<Vec<String>>,
    recipient: Option<Value>,
    dry_run: Option<bool>,
}

impl DataKeyPairMembers {
    /// Parses and checks the members; returns them with the encryption context.
    pub fn parse(body: &[u8]) -> Result<(Self, trent_crypto::EncryptionContext), AwsError> {
        let mut request: Self = parse_body(body)?;
        let mut v = Validator::new();
        check_key_id(&mut v, "keyId", &request.key_id, true);
        v.required("keyPairSpec", &request.key_pair_spec).one_of(
            "keyPairSpec",
            request.key_pair_spec.as_deref(),
            DATA_KEY_PAIR_SPECS,
        );
        check_grant_tokens(&mut v, request.grant_tokens.as_deref());
        v.finish()?;
        refuse_recipient(request.recipient.as_ref())?;
        let context = context(request.encryption_context.take());
        Ok((request, context))
    }

    /// The service's view of the request.
    pub fn service_request<'a>(&'a self, context: &'a trent_crypto::EncryptionContext) -> DataKeyPairRequest<'a> {
        DataKeyPairRequest {
            key_id: self.key_id.as_deref().unwrap_or_default(),
            pair_spec: self.key_pair_spec.as_deref().unwrap_or_default(),
            context,
            dry_run: self.dry_run.unwrap_or(false),
        }
    }
}

/// Handles GenerateDataKeyPair.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Value, AwsError> {
    let (members, context) = DataKeyPairMembers::parse(body)?;
    let request = members.service_request(&context);
    let pair = service.generate_data_key_pair(ctx, request).await?;
    Ok(json!({
        "PrivateKeyCiphertextBlob": base64(&pair.private_key_ciphertext),
        "PrivateKeyPlaintext": base64(&pair.private_key),
        "PublicKey": base64(&pair.public_key),
        "KeyId": pair.key_arn,
        "KeyPairSpec": request.pair_spec,
    }))
}
