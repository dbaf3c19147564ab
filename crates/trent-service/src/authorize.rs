//! The authorization seam: every operation asks `authorize(principal, action, key)` before it acts.
//! Today a principal may do everything in its own account and nothing elsewhere; key policies and grants plug in here.

use trent_domain::Key;

use crate::context::Principal;
use crate::error::ServiceError;

/// Decides whether `principal` may perform `action` (a permission name such as `kms:Encrypt`) on `key`.
/// Keys of another account are reported as not found, so their existence never leaks.
pub fn authorize(principal: &Principal, action: &str, key: &Key) -> Result<(), ServiceError> {
    if principal.account == key.account {
        Ok(())
    } else {
        tracing::debug!(action, key = %key.arn(), "cross-account access refused");
        Err(ServiceError::NotFound(format!("Key '{}' does not exist", key.arn())))
    }
}
