//! Alarms on attempted use: every cryptographic call refused because its key is `Disabled` or `PendingDeletion`
//! is a sign that something still depends on the key. Trent logs a structured warning, counts it for `/metrics`,
//! and, when the key's cancel-on-use safety net is armed and the key is pending deletion, cancels the deletion; a
//! running retirement plan for the key halts.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tokio::sync::mpsc;

use trent_audit::{AuditEvent, EventType};
use trent_domain::{Action, Api, Key, KeyState};

use crate::context::RequestContext;
use crate::error::{apply_state, ServiceError};
use crate::Service;

/// One raised alarm, as subscribers (webhooks) receive it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alarm {
    /// `DisabledKeyUseAttempt`.
    pub alarm: String,
    /// When (ISO 8601, lifecycle clock).
    pub time: String,
    /// The key's ARN.
    pub key_arn: String,
    /// The key's state at the attempt.
    pub key_state: String,
    /// The operation attempted, e.g. `Decrypt`.
    pub operation: String,
    /// Who attempted it.
    pub principal: String,
    /// From where.
    pub source_ip: Option<String>,
    /// The request ID of the attempt.
    pub request_id: String,
    /// True when the attempt fired the cancel-on-use safety net.
    pub cancels_deletion: bool,
}

/// How many times one operation was attempted on one key in one refusing state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptCount {
    /// The key's ID.
    pub key_id: String,
    /// Its state at the attempts (`Disabled`, `PendingDeletion`, …).
    pub key_state: &'static str,
    /// The operation attempted, e.g. `Decrypt`.
    pub operation: String,
    /// How many times.
    pub count: u64,
}

/// Attempt counts by (key ID, key state, operation), and the subscribers to alarms.
#[derive(Default)]
pub struct Alarms {
    attempts: Mutex<BTreeMap<(String, &'static str, String), u64>>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<Alarm>>>,
}

impl Alarms {
    /// A stream of every alarm raised from now on.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<Alarm> {
        let (sender, receiver) = mpsc::unbounded_channel();
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner()).push(sender);
        receiver
    }

    fn publish(&self, alarm: &Alarm) {
        // A gone subscriber is dropped; publishing never waits.
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner()).retain(|s| s.send(alarm.clone()).is_ok());
    }

    fn count(&self, key: &Key, operation: &str) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        *attempts.entry((key.id.to_string(), key.state.as_str(), operation.to_owned())).or_default() += 1;
    }

    /// The attempts counted so far, in key, state and operation order (the server exposes them as metrics).
    pub fn attempts(&self) -> Vec<AttemptCount> {
        let attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        attempts
            .iter()
            .map(|((key_id, key_state, operation), count)| AttemptCount {
                key_id: key_id.clone(),
                key_state,
                operation: operation.clone(),
                count: *count,
            })
            .collect()
    }
}

impl Service {
    /// Allows cryptography with `key` for `permission` (e.g. `kms:Encrypt`), or refuses it; a refusal because the
    /// key is disabled or pending deletion raises the alarm and may fire the cancel-on-use safety net.
    pub(crate) async fn require_usable_or_alarm(
        &self,
        ctx: &RequestContext,
        key: &Key,
        permission: &str,
    ) -> Result<(), ServiceError> {
        let Err(refusal) = key.require_usable() else {
            return Ok(());
        };
        if key.state == KeyState::Disabled || key.state.is_pending_deletion() {
            let operation = permission.trim_start_matches("kms:");
            self.alarms.count(key, operation);
            tracing::warn!(
                alarm = "DisabledKeyUseAttempt",
                key_arn = %key.arn(),
                key_state = key.state.as_str(),
                operation,
                principal = %ctx.principal.arn(),
                source_ip = ctx.source_ip.as_deref().unwrap_or("-"),
                request_id = %ctx.request_id,
                "attempted use of a key that is disabled or pending deletion"
            );
            let cancels_deletion = key.state.is_pending_deletion() && key.cancel_on_use;
            self.alarms.publish(&Alarm {
                alarm: "DisabledKeyUseAttempt".to_owned(),
                time: trent_audit::iso8601(self.clock.now()),
                key_arn: key.arn().to_string(),
                key_state: key.state.as_str().to_owned(),
                operation: operation.to_owned(),
                principal: ctx.principal.arn(),
                source_ip: ctx.source_ip.clone(),
                request_id: ctx.request_id.clone(),
                cancels_deletion,
            });
            // Boxed, as refusals are rare: their futures would otherwise make every use's future kilobytes larger.
            if cancels_deletion {
                Box::pin(self.cancel_on_use(ctx, key, operation)).await;
            }
            Box::pin(self.halt_retirement_on_use(ctx, key, operation)).await;
        }
        Err(ServiceError::key_state(refusal, Action::UseForCryptography, &key.arn().to_string()))
    }

    /// Cancels `key`'s deletion because it was used: the key stays `Disabled`, so the caller still fails and nothing
    /// is exposed. Recorded as a `CancelKeyDeletion` service event with the reason.
    async fn cancel_on_use(&self, ctx: &RequestContext, key: &Key, operation: &str) {
        let reason = format!(
            "cancel-on-use: attempted {operation} by {} from {}",
            ctx.principal.arn(),
            ctx.source_ip.as_deref().unwrap_or("-")
        );
        let now = self.clock.now();
        // The service acts in the key's own account (a caller of another account may have used it).
        let owner = ctx.in_account_of(key);
        let outcome = self
            .modify_key(&owner, &key.id.to_string(), |k| {
                apply_state(k, Action::CancelKeyDeletion(Api::Aws))?;
                let event = AuditEvent::new(
                    "CancelKeyDeletion",
                    EventType::AwsServiceEvent,
                    now,
                    &k.account,
                    &k.region,
                    AuditEvent::service_identity(),
                    Some(k.arn().to_string()),
                )
                .with_parameter("keyId", k.arn().to_string())
                .with_parameter("reason", reason.clone())
                .with_response("keyState", k.state.as_str());
                Ok(Some(event))
            })
            .await;
        match outcome {
            Ok(_) => {
                tracing::warn!(alarm = "DeletionCancelledOnUse", key_arn = %key.arn(), reason = %reason, "the safety net cancelled a scheduled deletion")
            }
            // Cancelled or deleted meanwhile: nothing left to do.
            Err(error) => {
                tracing::info!(key_arn = %key.arn(), %error, "cancel-on-use found nothing to cancel")
            }
        }
    }
}
