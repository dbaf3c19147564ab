//! GetKeyLastUsage: the last successful cryptographic operation with a key (operation, time, audit event ID, request
//! ID), answered from the usage evidence kept beside the audit trail, with the date tracking started.

use trent_audit::usage::LastUse;
use trent_domain::{Action, Key, Timestamp};

use crate::authorize::authorize;
use crate::context::RequestContext;
use crate::error::{check_state, ServiceError};
use crate::resolve::Aliases;
use crate::Service;

/// What GetKeyLastUsage answers.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyLastUsage {
    /// The key.
    pub key: Key,
    /// The last successful tracked operation, if any since tracking started.
    pub last_use: Option<LastUse>,
    /// When tracking started for this key: its creation, or when this server began recording calls, whichever is
    /// later.
    pub tracking_start: Timestamp,
}

impl Service {
    /// GetKeyLastUsage. Key IDs and ARNs only, as in AWS. A server that does not record calls has no usage to tell
    /// of, and says so rather than answer "never used".
    pub async fn get_key_last_usage(&self, ctx: &RequestContext, key_id: &str) -> Result<KeyLastUsage, ServiceError> {
        let loaded = self.load(ctx, key_id, Aliases::Refused).await?;
        let key = loaded.key.clone();
        authorize(ctx, "kms:GetKeyLastUsage", &key)?;
        check_state(&key, Action::DescribeKey)?;
        let tracking_start =
            self.usage_tracking_start().await?.map(|start| start.max(key.created_at)).ok_or_else(|| {
                ServiceError::Unsupported(
                    "This Trent server does not record calls (--audit-calls false), so it has no usage to report."
                        .to_owned(),
                )
            })?;
        self.flush_audit().await;
        let usage = self.store.key_usage(&key.arn().to_string()).await?;
        Ok(KeyLastUsage { key, last_use: usage.last_use, tracking_start })
    }

    /// When this server (or the first node of a shared store) began recording every call, if it does.
    pub(crate) async fn usage_tracking_start(&self) -> Result<Option<Timestamp>, ServiceError> {
        if self.audit.is_none() {
            return Ok(None);
        }
        let stored = self.store.get_meta(crate::audit_writer::TRACKING_START_META).await?;
        Ok(stored.and_then(|v| String::from_utf8(v).ok()).and_then(|v| v.parse().ok()).map(Timestamp))
    }
}
