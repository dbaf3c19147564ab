//! BackupStore (Trent's extension, `Trent.BackupStore`): the whole store as one backup file (`crate::backup`), taken
//! in one snapshot while the server serves. A backup holds every account's keys, so only the deployment's operator
//! (the root user of the operator account) may take one; it is recorded as a store-wide `BackupStore` event.

use std::sync::Arc;

use trent_audit::EventBatch;

use crate::backup::{self, BackupHeader};
use crate::context::RequestContext;
use crate::error::ServiceError;
use crate::Service;

/// A backup taken: what it says of itself, and the file.
#[derive(Debug)]
pub struct Backup {
    /// Its header.
    pub header: BackupHeader,
    /// The whole file.
    pub file: Vec<u8>,
}

impl Service {
    /// BackupStore.
    pub async fn backup_store(&self, ctx: &RequestContext) -> Result<Backup, ServiceError> {
        let principal = &ctx.principal;
        if !principal.is_root() || self.settings.operator_account.as_ref() != Some(&principal.account) {
            return Err(ServiceError::AccessDenied(format!(
                "User: {} is not authorized to perform: trent:BackupStore because only the deployment's operator (the root user of the operator account) may back up every account's keys",
                principal.arn()
            )));
        }
        // Every call answered so far is in the trail the backup holds.
        self.flush_audit().await;
        let copy = self.store.copy_all().await?;
        let now = self.clock.now();
        let header =
            backup::header_of(&copy, self.store.backend(), &self.root_key, now).map_err(ServiceError::Internal)?;
        let (root_key, written) = (Arc::clone(&self.root_key), header.clone());
        // Serialising and authenticating a large store takes seconds: off the thread that serves requests.
        let file = tokio::task::spawn_blocking(move || {
            let mut file = Vec::new();
            backup::write(&copy, &written, &root_key, &mut file).map(|()| file)
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("backup task: {e}")))?
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let detail = format!("backup of {} keys taken through the API by {}", header.keys, principal.arn());
        let event = backup::event("BackupStore", &header, now, &detail);
        let batch = EventBatch::of(&[event]).map_err(|e| ServiceError::Internal(format!("audit record: {e}")))?;
        self.store.append_events(Arc::new(batch)).await?;
        Ok(Backup { header, file })
    }
}
