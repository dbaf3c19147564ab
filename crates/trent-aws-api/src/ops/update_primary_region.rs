//! The edge of UpdatePrimaryRegion: the primary's key ID or ARN and `PrimaryRegion` (required; the model's
//! `RegionType`, 1 to 32 characters of `^([a-z]+-){2,3}\d+$`); answers nothing (the model has no output).

use serde::Deserialize;
use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::shapes::{check_key_id, parse_body, response, Empty, Reply};
use crate::validate::Validator;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Request {
    key_id: Option<String>,
    primary_region: Option<String>,
}

/// The model's `RegionType` pattern, `^([a-z]+-){2,3}\d+$`: two or three lower-case words each followed by a dash,
/// then digits.
fn is_region_name(text: &str) -> bool {
    let Some((words, digits)) = text.rsplit_once('-').map(|(head, tail)| (format!("{head}-"), tail)) else {
        return false;
    };
    let parts: Vec<&str> = words.split_terminator('-').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase()))
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Handles UpdatePrimaryRegion.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let request: Request = parse_body(body)?;
    let mut v = Validator::new();
    check_key_id(&mut v, "keyId", &request.key_id, true);
    v.required("primaryRegion", &request.primary_region)
        .length("primaryRegion", request.primary_region.as_deref(), 1, 32)
        .matching("primaryRegion", request.primary_region.as_deref(), "^([a-z]+-){2,3}\\d+$", is_region_name);
    v.finish()?;
    let region = request.primary_region.unwrap_or_default();
    service.update_primary_region(ctx, request.key_id.as_deref().unwrap_or_default(), &region).await?;
    response(&Empty {})
}

#[cfg(test)]
mod tests {
    use super::is_region_name;

    #[test]
    fn region_names_follow_the_model_pattern() {
        for good in ["us-east-1", "eu-west-2", "us-gov-west-1", "ap-southeast-12"] {
            assert!(is_region_name(good), "{good}");
        }
        for bad in ["", "us-east", "useast-1", "us-east-1a", "US-east-1", "a-b-c-d-1", "-east-1", "us--1"] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }
}
