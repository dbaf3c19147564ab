//! BackupStore (Trent's extension, `Trent.BackupStore`): the whole store as one backup file (`crate::backup`), taken
//! in one snapshot while the server serves. A backup holds every account's keys, so only the deployment's operator
//! (the root user of the operator account) may take one; each is a store-wide `BackupStore` event, and so is each
//! refused attempt, whether or not calls are audited.

use trent_audit::{AuditEvent, EventType};

use crate::backup::{self, Backup};
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::Service;

impl Service {
    /// BackupStore.
    pub async fn backup_store(&self, ctx: &RequestContext) -> Result<Backup, ServiceError> {
        let principal = &ctx.principal;
        let refusal = match &self.settings.operator_account {
            None => Some("no operator account is configured (--operator-account), so nobody may back up every account's keys through the API"),
            Some(operator) if !principal.is_root() || *operator != principal.account => {
                Some("only the deployment's operator (the root user of the operator account) may back up every account's keys")
            }
            Some(_) => None,
        };
        if let Some(reason) = refusal {
            let message =
                format!("User: {} is not authorized to perform: trent:BackupStore because {reason}", principal.arn());
            let attempt = AuditEvent::raw(
                "BackupStore",
                EventType::AwsServiceEvent,
                self.clock.now(),
                "",
                "",
                AuditEvent::service_identity(),
                None,
            )
            .with_parameter("reason", format!("refused: backup attempted by {}", principal.arn()))
            .with_error("AccessDeniedException", &message);
            self.record(attempt).await?;
            return Err(ServiceError::AccessDenied(message));
        }
        // Every call answered so far is in the trail the backup holds.
        self.flush_audit().await;
        let how = format!("taken through the API by {}", principal.arn());
        backup::take(&self.store, &self.root_key, self.clock.now(), &how).await.map_err(ServiceError::Internal)
    }
}
