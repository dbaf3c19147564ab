//! The edge of GenerateDataKeyWithoutPlaintext: the members of GenerateDataKey; only the encrypted copy is returned.

use trent_service::{RequestContext, Service};

use crate::error::AwsError;
use crate::ops::generate_data_key::{DataKeyMembers, Response};
use crate::shapes::{response, Reply};

/// Handles GenerateDataKeyWithoutPlaintext.
pub async fn handle(service: &Service, ctx: &RequestContext, body: &[u8]) -> Result<Reply, AwsError> {
    let (members, context) = DataKeyMembers::parse(body)?;
    let (blob, arn) = service.generate_data_key_without_plaintext(ctx, members.service_request(&context)).await?;
    response(&Response::new(&blob, None, &arn))
}
