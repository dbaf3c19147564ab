//! The edge of GenerateMac: message 1 to 4096 bytes, a required MAC algorithm, DryRun; answers the MAC, the algorithm
//! and the key ARN. Also the request shape VerifyMac shares.

use serde::{Deserialize, Serialize};
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::*;
use crate::validate::Validator;

/// The members GenerateMac and VerifyMac share (VerifyMac adds `Mac`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MacRequest {
    key_id: Option<String>,
    message: Option<Blob>,
    mac_algorithm: Option<String>,
    mac: Option<Blob>,
    grant_tokens: Option<Vec<String>>,
    dry_run: Option<bool>,
}

impl MacRequest {
    /// Parses and checks the shared members; `with_mac` for VerifyMac.
    pub fn parse(body: &[u8], with_mac: bool) -> Result<Self, AwsError> {
        let request: MacRequest = parse_body(body)?;
        let mut v = Validator::new();
        v.required("message", &request.message).blob_length(
            "message",
            request.message.as_ref().map(|b| b.0.as_slice()),
            1,
            4096,
        );
        check_key_id(&mut v, "keyId", &request.key_id, true);
        v.required("macAlgorithm", &request.mac_algorithm).one_of(
            "macAlgorithm",
            request.mac_algorithm.as_deref(),
            MAC_ALGORITHMS,
        );
        if with_mac {
            v.required("mac", &request.mac).blob_length("mac", request.mac.as_ref().map(|b| b.0.as_slice()), 1, 6144);
        }
        check_grant_tokens(&mut v, request.grant_tokens.as_deref());
        v.finish()?;
        Ok(request)
    }

    /// The key identifier.
    pub fn key_id(&self) -> &str {
        self.key_id.as_deref().unwrap_or_default()
    }

    /// The message.
    pub fn message(&self) -> &[u8] {
        self.message.as_ref().map(|m| m.0.as_slice()).unwrap_or_default()
    }

    /// The MAC algorithm.
    pub fn algorithm(&self) -> &str {
        self.mac_algorithm.as_deref().unwrap_or_default()
    }

    /// The MAC to verify (VerifyMac only; empty otherwise).
    pub fn mac(&self) -> &[u8] {
        self.mac.as_ref().map(|m| m.0.as_slice()).unwrap_or_default()
    }

    /// `DryRun`.
    pub fn dry_run(&self) -> bool {
        self.dry_run.unwrap_or(false)
    }
}

/// GenerateMac's answer.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Answer<'a> {
    mac: Base64Text,
    mac_algorithm: &'a str,
    key_id: &'a str,
}

names_key!(Answer<'_>);

/// Handles GenerateMac.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request = MacRequest::parse(body, false)?;
    let (mac, arn) =
        service.generate_mac(ctx, request.key_id(), request.message(), request.algorithm(), request.dry_run()).await?;
    response(&Answer { mac: base64(&mac), mac_algorithm: request.algorithm(), key_id: &arn })
}
