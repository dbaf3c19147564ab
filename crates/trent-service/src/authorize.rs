//! The authorization seam: every operation asks `authorize(principal, action, key)` before it acts.
//! Today a principal may do everything in its own account and nothing elsewhere, except change the lifecycle of a
//! service-managed key (as AWS managed keys' policies allow no one to); key policies and grants plug in here.

use trent_domain::{Key, KeyManager};

use crate::context::Principal;
use crate::error::ServiceError;

/// What nobody may do to a service-managed key.
const MANAGED_KEY_DENIED: &[&str] = &[
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DisableKeyRotation",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
];

/// Decides whether `principal` may perform `action` (a permission name such as `kms:Encrypt`) on `key`.
/// Keys of another account are reported as not found, so their existence never leaks.
pub fn authorize(principal: &Principal, action: &str, key: &Key) -> Result<(), ServiceError> {
    if key.manager == KeyManager::Aws && MANAGED_KEY_DENIED.contains(&action) {
        return Err(ServiceError::AccessDenied(format!(
            "User: {} is not authorized to perform: {action} on resource: {} because no resource-based policy allows the {action} action",
            principal.arn(),
            key.arn()
        )));
    }
    if principal.account == key.account {
        Ok(())
    } else {
        tracing::debug!(action, key = %key.arn(), "cross-account access refused");
        Err(ServiceError::NotFound(format!("Key '{}' does not exist", key.arn())))
    }
}
