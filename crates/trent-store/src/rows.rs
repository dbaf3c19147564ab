//! Rows as both backends read them: the raw column values, validated into domain records in one place, so a
//! corrupt value is detected the same way on SQLite and PostgreSQL.

use trent_domain::{
    AccountId, AliasName, Key, KeyId, KeyManager, KeySpec, KeyState, KeyUsage, Origin, Region, RetirementPlan,
    RetirementStep, Tag, Timestamp,
};

use crate::{Alias, StoreError};

/// The columns of `keys`, in the order [`KeyRow`] takes them.
pub(crate) const KEY_COLUMNS: &str = "account, region, key_id, created_at, description, key_spec, key_usage, origin, key_manager, state, \
                                      deletion_date, pending_window_days, tags, policy, wrapped_material, version, deletion_protection, cancel_on_use";

/// Which keys are due for destruction, as [`trent_domain::Key::is_due_for_deletion`] decides: pending deletion, not
/// protected (a protected key is never destroyed), and (where the statement adds it) past its deletion date.
pub(crate) const DUE_FOR_DELETION: &str = "state = 'PendingDeletion' AND NOT deletion_protection";

/// The columns of `aliases`, in the order [`AliasRow`] takes them.
pub(crate) const ALIAS_COLUMNS: &str = "account, region, name, key_id, created_at, updated_at";

/// A `keys` row before validation.
pub(crate) struct KeyRow {
    pub account: String,
    pub region: String,
    pub key_id: String,
    pub created_at: i64,
    pub description: String,
    pub key_spec: String,
    pub key_usage: String,
    pub origin: String,
    pub key_manager: String,
    pub state: String,
    pub deletion_date: Option<i64>,
    pub pending_window_days: Option<i64>,
    pub tags: String,
    pub policy: String,
    pub wrapped_material: Vec<u8>,
    pub version: i64,
    pub deletion_protection: bool,
    pub cancel_on_use: bool,
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

impl KeyRow {
    /// The key, or which column is corrupt.
    pub(crate) fn into_key(self) -> Result<Key, StoreError> {
        let tags: Vec<Tag> = serde_json::from_str(&self.tags).map_err(|_| corrupt("tags"))?;
        Ok(Key {
            account: AccountId::parse(&self.account).ok_or_else(|| corrupt("account"))?,
            region: Region::parse(&self.region).ok_or_else(|| corrupt("region"))?,
            id: KeyId::parse(&self.key_id).ok_or_else(|| corrupt("key_id"))?,
            created_at: Timestamp(self.created_at),
            description: self.description,
            spec: KeySpec::parse(&self.key_spec).ok_or_else(|| corrupt("key_spec"))?,
            usage: KeyUsage::parse(&self.key_usage).ok_or_else(|| corrupt("key_usage"))?,
            origin: Origin::parse(&self.origin).ok_or_else(|| corrupt("origin"))?,
            manager: KeyManager::parse(&self.key_manager).ok_or_else(|| corrupt("key_manager"))?,
            state: KeyState::from_columns(&self.state, self.deletion_date.map(Timestamp), self.pending_window_days)
                .ok_or_else(|| corrupt("state"))?,
            tags,
            policy: self.policy,
            wrapped_material: self.wrapped_material,
            version: self.version,
            deletion_protection: self.deletion_protection,
            cancel_on_use: self.cancel_on_use,
        })
    }
}

/// An `aliases` row before validation.
pub(crate) struct AliasRow {
    pub account: String,
    pub region: String,
    pub name: String,
    pub key_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl AliasRow {
    /// The alias, or which column is corrupt.
    pub(crate) fn into_alias(self) -> Result<Alias, StoreError> {
        Ok(Alias {
            account: AccountId::parse(&self.account).ok_or_else(|| corrupt("alias account"))?,
            region: Region::parse(&self.region).ok_or_else(|| corrupt("alias region"))?,
            name: AliasName::parse(&self.name).map_err(|_| corrupt("alias name"))?,
            key_id: KeyId::parse(&self.key_id).ok_or_else(|| corrupt("alias key_id"))?,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

/// The columns of `retirement_plans`, in the order [`PlanRow`] takes them.
pub(crate) const PLAN_COLUMNS: &str =
    "account, region, key_id, step, observe_millis, pending_window_days, started_at, observe_until, \
                                       scheduled_at, deletion_date, finished_at, reason, started_by, version";

/// A `retirement_plans` row before validation.
pub(crate) struct PlanRow {
    pub account: String,
    pub region: String,
    pub key_id: String,
    pub step: String,
    pub observe_millis: i64,
    pub pending_window_days: i64,
    pub started_at: i64,
    pub observe_until: i64,
    pub scheduled_at: Option<i64>,
    pub deletion_date: Option<i64>,
    pub finished_at: Option<i64>,
    pub reason: String,
    pub started_by: String,
    pub version: i64,
}

impl PlanRow {
    /// The plan, or which column is corrupt.
    pub(crate) fn into_plan(self) -> Result<RetirementPlan, StoreError> {
        Ok(RetirementPlan {
            account: AccountId::parse(&self.account).ok_or_else(|| corrupt("plan account"))?,
            region: Region::parse(&self.region).ok_or_else(|| corrupt("plan region"))?,
            key_id: KeyId::parse(&self.key_id).ok_or_else(|| corrupt("plan key_id"))?,
            step: RetirementStep::parse(&self.step).ok_or_else(|| corrupt("plan step"))?,
            observe_millis: self.observe_millis,
            pending_window_days: self.pending_window_days,
            started_at: Timestamp(self.started_at),
            observe_until: Timestamp(self.observe_until),
            scheduled_at: self.scheduled_at.map(Timestamp),
            deletion_date: self.deletion_date.map(Timestamp),
            finished_at: self.finished_at.map(Timestamp),
            reason: self.reason,
            started_by: self.started_by,
            version: self.version,
        })
    }
}
