//! GenerateRandom: 1 to 1024 bytes from the secure random source; needs no key.

use zeroize::Zeroizing;

use crate::authorize::authorize_in_account;
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::Service;

impl Service {
    /// GenerateRandom.
    pub async fn generate_random(
        &self,
        ctx: &RequestContext,
        number_of_bytes: usize,
        custom_key_store_id: Option<&str>,
    ) -> Result<Zeroizing<Vec<u8>>, ServiceError> {
        authorize_in_account(ctx, "kms:GenerateRandom", "*")?;
        if custom_key_store_id.is_some() {
            return Err(ServiceError::Unsupported("Custom key stores are not supported by Trent yet.".to_owned()));
        }
        Ok(trent_crypto::random_bytes(number_of_bytes)?)
    }
}
