//! VerifyAuditTrail (Trent's extension, `Trent.VerifyAuditTrail`): recomputes the whole audit hash chain and says
//! whether any event was changed, removed or reordered, and which.

use trent_audit::chain::ChainBreak;

use crate::authorize::authorize_in_account;
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::Service;

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Events checked.
    pub events_checked: usize,
    /// The last event removed by retention (0 when none was); the chain is checked from there.
    pub pruned_through: i64,
    /// The first break found, if any.
    pub broken: Option<ChainBreak>,
}

impl Service {
    /// VerifyAuditTrail.
    pub async fn verify_audit_trail(&self, ctx: &RequestContext) -> Result<Verification, ServiceError> {
        authorize_in_account(ctx, "trent:VerifyAuditTrail", "*")?;
        self.flush_audit().await;
        let chain = self.store.audit_chain().await?;
        Ok(match chain.verify() {
            Ok(checked) => Verification { events_checked: checked, pruned_through: chain.anchor.seq, broken: None },
            Err(broken) => Verification {
                events_checked: chain.events.len(),
                pruned_through: chain.anchor.seq,
                broken: Some(broken),
            },
        })
    }
}
