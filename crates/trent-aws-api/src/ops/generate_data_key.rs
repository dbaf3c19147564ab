//! The edge of GenerateDataKey: KeySpec (AES_128, AES_256) or NumberOfBytes (1 to 1024).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use trent_service::ops::generate_data_key::DataKeyRequest;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

/// GenerateDataKey's and GenerateDataKeyWithoutPlaintext's members (the same in the model, bar Recipient).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataKeyMembers {
    key_id: Option<String>,
    encryption_context: Option<BTreeMap<String, String>>,
    number_of_bytes: Option<i64>,
    key_spec: Option<String>,
    grant_tokens: Option<Vec<String>>,
    recipient: Option<Value>,
    dry_run: Option<bool>,
}

impl DataKeyMembers {
    /// Parses and checks the members; returns them with the encryption context.
    pub fn parse(body: &[u8]) -> Result<(Self, trent_crypto::EncryptionContext), AwsError> {
        let mut request: Self = parse_body(body)?;
        let mut v = Validator::new();
        check_key_id(&mut v, "keyId", &request.key_id, true);
        v.range("numberOfBytes", request.number_of_bytes, 1, 1024).one_of(
            "keySpec",
            request.key_spec.as_deref(),
            &["AES_256", "AES_128"],
        );
        check_grant_tokens(&mut v, request.grant_tokens.as_deref());
        v.finish()?;
        refuse_recipient(request.recipient.as_ref())?;
        let context = context(request.encryption_context.take());
        Ok((request, context))
    }

    /// The service's view of the request.
    pub fn service_request<'a>(&'a self, context: &'a trent_crypto::EncryptionContext) -> DataKeyRequest<'a> {
        DataKeyRequest {
            key_id: self.key_id.as_deref().unwrap_or_default(),
            context,
            key_spec: self.key_spec.as_deref(),
            number_of_bytes: self.number_of_bytes,
            dry_run: self.dry_run.unwrap_or(false),
        }
    }
}

/// GenerateDataKey's answer, and GenerateDataKeyWithoutPlaintext's (without `Plaintext`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response<'a> {
    /// The data key under the KMS key.
    pub ciphertext_blob: Base64Text,
    /// The data key itself; `None` for GenerateDataKeyWithoutPlaintext.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<Base64Text>,
    /// The KMS key's ARN.
    pub key_id: &'a str,
    /// The material the data key was encrypted under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<String>,
}

impl<'a> Response<'a> {
    /// The answer for a data key encrypted as `blob` under the key `arn`.
    pub fn new(blob: &[u8], plaintext: Option<Base64Text>, arn: &'a str) -> Self {
        let key_material_id = key_material_id(trent_domain::EncryptionAlgorithm::SymmetricDefault, blob);
        Self { ciphertext_blob: base64(blob), plaintext, key_id: arn, key_material_id }
    }
}

names_key!(Response<'_>);

/// Handles GenerateDataKey.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let (members, context) = DataKeyMembers::parse(body)?;
    let (plaintext, blob, arn) = service.generate_data_key(ctx, members.service_request(&context)).await?;
    response(&Response::new(&blob, Some(base64(&plaintext)), &arn))
}
