//! The edge of GenerateDataKeyPair: KeyId, KeyPairSpec, an optional encryption context, DryRun; answers the private
//! key in plaintext (PKCS #8) and encrypted, the public key (DER SubjectPublicKeyInfo), the KeyId and KeyPairSpec.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
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

/// The answer of GenerateDataKeyPair and, without the plaintext private key, GenerateDataKeyPairWithoutPlaintext.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataKeyPairAnswer<'a> {
    /// The private key, encrypted under the KMS key.
    pub private_key_ciphertext_blob: Base64Text,
    /// The private key in plaintext (GenerateDataKeyPair only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key_plaintext: Option<Base64Text>,
    /// The public key.
    pub public_key: Base64Text,
    /// The KMS key's ARN.
    pub key_id: &'a str,
    /// The pair's spec.
    pub key_pair_spec: &'a str,
}

names_key!(DataKeyPairAnswer<'_>);

/// Handles GenerateDataKeyPair.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let (members, context) = DataKeyPairMembers::parse(body)?;
    let request = members.service_request(&context);
    let pair = service.generate_data_key_pair(ctx, request).await?;
    response(&DataKeyPairAnswer {
        private_key_ciphertext_blob: base64(&pair.private_key_ciphertext),
        private_key_plaintext: Some(base64(&pair.private_key)),
        public_key: base64(&pair.public_key),
        key_id: &pair.key_arn,
        key_pair_spec: request.pair_spec,
    })
}
