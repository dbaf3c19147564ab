//! The schema as the store's code sees it: every SQL statement it runs, each written once, and each record's
//! columns, in the order the statements list them, as both the parameters it is written with and how a row is read
//! back into it (validated here, so a corrupt value is detected the same way on SQLite and PostgreSQL). Adding a
//! column touches this file and one migration per dialect.
//!
//! Five statements differ by dialect, each for a reason given beside it: PostgreSQL locks rows (the audit head, the
//! keys a deletion claims) where SQLite's write transaction already excludes every other writer, and each keeps its
//! schema version its own way.

use trent_audit::chain::{ChainHead, ChainedEvent};
use trent_audit::segment::StoredSegment;
use trent_audit::usage::{LastUse, RefusedUse, UsageCount, UsageKey};
use trent_domain::{Key, KeyState, RetirementPlan, RotationSchedule, Timestamp};

use crate::driver::Sql;
use crate::value::{params, record, FromRow, Param, Row, ToParams};
use crate::{Alias, StoreError, StoredCredential, StoredGrant, StoredUser, StoredUserPolicy};

/// The columns of `keys`, in the order `Key`'s `FromRow` reads them.
macro_rules! key_columns {
    () => {
        "account, region, key_id, created_at, description, key_spec, key_usage, origin, key_manager, state, \
         deletion_date, pending_window_days, tags, policy, wrapped_material, version, deletion_protection, cancel_on_use, \
         deletion_protection_description, rotations, rotation_period_days, next_rotation_date, import, \
         material_valid_to, multi_region_key_type"
    };
}

/// The columns of `aliases`, in `Alias`'s field order.
macro_rules! alias_columns {
    () => {
        "account, region, name, key_id, created_at, updated_at"
    };
}

/// The columns of `retirement_plans`, in `RetirementPlan`'s field order.
macro_rules! plan_columns {
    () => {
        "account, region, key_id, step, observe_millis, pending_window_days, started_at, observe_until, scheduled_at, \
         deletion_date, finished_at, reason, started_by, version"
    };
}

/// Which keys are due for destruction, as `Key::is_due_for_deletion` decides: pending deletion, not protected (a
/// protected key is never destroyed), and (where the statement adds it) past the deletion date. And, whatever the
/// clocks said when its deletion was scheduled, never a multi-Region primary while a replica of it is stored.
macro_rules! due_for_deletion {
    () => {
        "state = 'PendingDeletion' AND NOT deletion_protection AND NOT (COALESCE(multi_region_key_type, '') = 'PRIMARY' AND EXISTS \
         (SELECT 1 FROM keys AS replica WHERE replica.account = keys.account AND replica.key_id = keys.key_id \
         AND replica.region <> keys.region))"
    };
}

// Records: each struct's fields are its columns, in order (those whose names differ are listed by the statements
// that use them).

record! {
    Alias { account, region, name, key_id, created_at, updated_at }
    RetirementPlan {
        account, region, key_id, step, observe_millis, pending_window_days, started_at, observe_until, scheduled_at,
        deletion_date, finished_at, reason, started_by, version,
    }
    StoredCredential { access_key_id, account, sealed_secret, created_at, user_name }
    StoredUser { account, name, user_id, created_at }
    StoredUserPolicy { account, user_name, policy_name, document }
    StoredGrant {
        account, region, key_id, grant_id, name, grantee_principal, retiring_principal, issuing_account, operations,
        constraints, created_at,
    }
    StoredSegment { first_seq, previous_hash, records, hashes }
    PreSegmentEvent { seq, event_id, millis, record, previous_hash, hash }
    ChainHead { seq, hash }
    UsageKey { key_arn, day, operation, principal, source_ip, error_code }
    UsageCount { calls, ciphertexts, first_millis, last_millis }
    LastUse { key_arn, operation, millis, event_id, request_id }
    RefusedUse { key_arn, millis, operation, principal, source_ip, error_code, error_message, event_id }
}

/// A key is stored as its fields but for three: its state is the `state` column and, while a deletion is pending,
/// `deletion_date` and `pending_window_days`; its tags are one JSON column, and so are its rotations (their materials
/// sealed, in hexadecimal) and its import parameters. `material_valid_to` is written from the key
/// ([`Key::material_valid_to`]) for the material worker to find, never read back.
impl ToParams for Key {
    fn to_params(&self) -> Result<Vec<Param<'_>>, StoreError> {
        let tags = serde_json::to_string(&self.tags).map_err(|e| StoreError::Database(e.to_string()))?;
        let rotations = serde_json::to_string(&self.rotations).map_err(|e| StoreError::Database(e.to_string()))?;
        let import = serde_json::to_string(&self.import).map_err(|e| StoreError::Database(e.to_string()))?;
        let scheduled = self.state.scheduled_deletion();
        let deletion_date = scheduled.map_or(Param::Null, |d| Param::Int(d.deletion_date.0));
        let window = self.state.pending_window_days().map_or(Param::Null, Param::Int);
        Ok(Vec::from(params![
            &self.account,
            &self.region,
            &self.id,
            &self.created_at,
            &self.description,
            &self.spec,
            &self.usage,
            &self.origin,
            &self.manager,
            self.state.as_str(),
            deletion_date,
            window,
            tags,
            &self.policy,
            &self.wrapped_material,
            &self.version,
            &self.deletion_protection,
            &self.cancel_on_use,
            &self.deletion_protection_description,
            rotations,
            self.rotation_schedule.map_or(Param::Null, |s| Param::Int(s.period_days)),
            self.rotation_schedule.map_or(Param::Null, |s| Param::Int(s.next_rotation.0)),
            import,
            self.material_valid_to().map_or(Param::Null, |valid_to| Param::Int(valid_to.0)),
            &self.multi_region,
        ]))
    }
}

impl FromRow for Key {
    fn from_row(row: &mut Row) -> Result<Self, StoreError> {
        let (account, region, id) = (row.column("account")?, row.column("region")?, row.column("key_id")?);
        let (created_at, description) = (row.column("created_at")?, row.column("description")?);
        let (spec, usage) = (row.column("key_spec")?, row.column("key_usage")?);
        let (origin, manager) = (row.column("origin")?, row.column("key_manager")?);
        let state: String = row.column("state")?;
        let (deletion_date, window) = (row.column("deletion_date")?, row.column("pending_window_days")?);
        let state = KeyState::from_columns(&state, deletion_date, window)
            .ok_or_else(|| StoreError::Corrupt("state".to_owned()))?;
        let tags: String = row.column("tags")?;
        Ok(Key {
            account,
            region,
            id,
            created_at,
            description,
            spec,
            usage,
            origin,
            manager,
            state,
            tags: serde_json::from_str(&tags).map_err(|_| StoreError::Corrupt("tags".to_owned()))?,
            policy: row.column("policy")?,
            wrapped_material: row.column("wrapped_material")?,
            version: row.column("version")?,
            deletion_protection: row.column("deletion_protection")?,
            cancel_on_use: row.column("cancel_on_use")?,
            deletion_protection_description: row.column("deletion_protection_description")?,
            rotations: serde_json::from_str(&row.column::<String>("rotations")?)
                .map_err(|_| StoreError::Corrupt("rotations".to_owned()))?,
            rotation_schedule: match (row.column("rotation_period_days")?, row.column("next_rotation_date")?) {
                (Some(period_days), Some(next)) => {
                    Some(RotationSchedule { period_days, next_rotation: Timestamp(next) })
                }
                (None, None) => None,
                _ => return Err(StoreError::Corrupt("rotation schedule".to_owned())),
            },
            import: serde_json::from_str(&row.column::<String>("import")?)
                .map_err(|_| StoreError::Corrupt("import".to_owned()))?,
            multi_region: {
                // Written from the key for the material worker's query; the key computes it, so it is skipped here.
                let _derived: Option<i64> = row.column("material_valid_to")?;
                row.column("multi_region_key_type")?
            },
        })
    }
}

// Schema.

/// Takes the migration lock. SQLite's exclusive transaction is the lock there; PostgreSQL nodes starting together
/// serialise on an advisory lock, and keep the schema version in a table.
pub(crate) const PREPARE_MIGRATION: Sql = Sql::dialects(
    "SELECT pg_advisory_xact_lock(128034676831233); CREATE TABLE IF NOT EXISTS trent_schema (version BIGINT NOT NULL)",
    "",
);
pub(crate) const SCHEMA_VERSION: Sql =
    Sql::dialects("SELECT COALESCE(MAX(version), 0) FROM trent_schema", "PRAGMA user_version");
/// A script: `{version}` is replaced by the version (SQLite's pragma takes no parameters).
pub(crate) const SET_SCHEMA_VERSION: Sql =
    Sql::dialects("INSERT INTO trent_schema (version) VALUES ({version})", "PRAGMA user_version = {version}");
/// An audit event as stored before segments existed (a row each), read once to move it into a segment.
pub(crate) struct PreSegmentEvent {
    seq: i64,
    event_id: String,
    millis: i64,
    record: String,
    previous_hash: String,
    hash: String,
}

impl From<PreSegmentEvent> for ChainedEvent {
    fn from(event: PreSegmentEvent) -> Self {
        let PreSegmentEvent { seq, event_id, millis, record, previous_hash, hash } = event;
        // Such an event's hash covers its record's text.
        ChainedEvent { seq, event_id, millis, chained: record.clone().into_bytes(), record, previous_hash, hash }
    }
}

pub(crate) const PRE_SEGMENT_EVENTS: Sql =
    Sql::both("SELECT seq, event_id, event_time, record, previous_hash, hash FROM audit_events ORDER BY seq");
pub(crate) const DROP_PRE_SEGMENT_EVENTS: &str = "DROP TABLE audit_events";

// Keys.

pub(crate) const INSERT_KEY: Sql = Sql::both(concat!(
    "INSERT INTO keys (",
    key_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25) \
     ON CONFLICT DO NOTHING"
));
pub(crate) const GET_KEY: Sql =
    Sql::both(concat!("SELECT ", key_columns!(), " FROM keys WHERE account = $1 AND region = $2 AND key_id = $3"));
pub(crate) const LIST_KEYS: Sql = Sql::both(concat!(
    "SELECT ",
    key_columns!(),
    " FROM keys WHERE account = $1 AND region = $2 AND key_id > $3 ORDER BY key_id LIMIT $4"
));
/// Parameters as `INSERT_KEY`'s (every column is written, those that never change with the values they have), the
/// version read in $16: the write is conditional on it, and bumps it.
pub(crate) const UPDATE_KEY: Sql = Sql::both(
    "UPDATE keys SET created_at = $4, description = $5, key_spec = $6, key_usage = $7, origin = $8, key_manager = $9, \
     state = $10, deletion_date = $11, pending_window_days = $12, tags = $13, policy = $14, wrapped_material = $15, \
     deletion_protection = $17, cancel_on_use = $18, deletion_protection_description = $19, \
     rotations = $20, rotation_period_days = $21, next_rotation_date = $22, import = $23, material_valid_to = $24, \
     multi_region_key_type = $25, \
     version = version + 1 \
     WHERE account = $1 AND region = $2 AND key_id = $3 AND version = $16",
);
/// The keys due at $1, earliest first, at most $2.
macro_rules! due_keys {
    () => {
        concat!(
            "SELECT ",
            key_columns!(),
            " FROM keys WHERE ",
            due_for_deletion!(),
            " AND deletion_date <= $1 ORDER BY deletion_date LIMIT $2"
        )
    };
}
/// Claims the due keys. PostgreSQL skips rows another node's deletion holds (so each key is destroyed once, and no
/// node waits on another); SQLite's write transaction has the database to itself.
pub(crate) const CLAIM_DUE_KEYS: Sql = Sql::dialects(concat!(due_keys!(), " FOR UPDATE SKIP LOCKED"), due_keys!());
pub(crate) const DELETE_KEY: Sql = Sql::both("DELETE FROM keys WHERE account = $1 AND region = $2 AND key_id = $3");
pub(crate) const DELETE_KEY_ALIASES: Sql =
    Sql::both("DELETE FROM aliases WHERE account = $1 AND region = $2 AND key_id = $3");
/// The enabled keys whose automatic rotation is due at $1, earliest first, at most $2 (of every account and region).
pub(crate) const KEYS_DUE_FOR_ROTATION: Sql = Sql::both(concat!(
    "SELECT ",
    key_columns!(),
    " FROM keys WHERE state = 'Enabled' AND next_rotation_date <= $1 ORDER BY next_rotation_date LIMIT $2"
));
/// When the next automatic rotation of an enabled key is due.
pub(crate) const NEXT_ROTATION_DATE: Sql =
    Sql::both("SELECT MIN(next_rotation_date) FROM keys WHERE state = 'Enabled'");
/// Every region's key of one multi-Region set: account $1, key ID $2, in region order.
pub(crate) const KEYS_IN_EVERY_REGION: Sql =
    Sql::both(concat!("SELECT ", key_columns!(), " FROM keys WHERE account = $1 AND key_id = $2 ORDER BY region"));
/// The keys whose imported material expires by $1, earliest first, at most $2 (of every account and region).
pub(crate) const KEYS_WITH_EXPIRED_MATERIAL: Sql = Sql::both(concat!(
    "SELECT ",
    key_columns!(),
    " FROM keys WHERE material_valid_to <= $1 ORDER BY material_valid_to LIMIT $2"
));
/// When the next imported material expires.
pub(crate) const NEXT_MATERIAL_EXPIRY: Sql = Sql::both("SELECT MIN(material_valid_to) FROM keys");
/// Multi-Region primary keys pending replica deletion whose last replica is gone, at most $1 (of every account).
pub(crate) const PRIMARIES_WITHOUT_REPLICAS: Sql = Sql::both(concat!(
    "SELECT ",
    key_columns!(),
    " FROM keys WHERE state = 'PendingReplicaDeletion' AND NOT EXISTS (SELECT 1 FROM keys AS replica \
     WHERE replica.account = keys.account AND replica.key_id = keys.key_id AND replica.region <> keys.region) \
     ORDER BY account, key_id LIMIT $1"
));
pub(crate) const NEXT_DELETION_DATE: Sql =
    Sql::both(concat!("SELECT MIN(deletion_date) FROM keys WHERE ", due_for_deletion!()));

// Aliases.

pub(crate) const INSERT_ALIAS: Sql = Sql::both(concat!(
    "INSERT INTO aliases (",
    alias_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
));
pub(crate) const GET_ALIAS: Sql =
    Sql::both(concat!("SELECT ", alias_columns!(), " FROM aliases WHERE account = $1 AND region = $2 AND name = $3"));
pub(crate) const UPDATE_ALIAS: Sql =
    Sql::both("UPDATE aliases SET key_id = $4, updated_at = $5 WHERE account = $1 AND region = $2 AND name = $3");
pub(crate) const DELETE_ALIAS: Sql = Sql::both("DELETE FROM aliases WHERE account = $1 AND region = $2 AND name = $3");
/// The aliases of account $1 in region $2 (of key $3 when given) named after $4, at most $5, leaving out those of a
/// key due for deletion at $6: such a key is gone to callers before the worker deletes it and its aliases.
pub(crate) const LIST_ALIASES: Sql = Sql::both(concat!(
    "SELECT ",
    alias_columns!(),
    " FROM aliases WHERE account = $1 AND region = $2 AND (CAST($3 AS TEXT) IS NULL OR key_id = $3) AND name > $4 \
     AND NOT EXISTS (SELECT 1 FROM keys WHERE keys.account = aliases.account AND keys.region = aliases.region \
     AND keys.key_id = aliases.key_id AND ",
    due_for_deletion!(),
    " AND deletion_date <= $6) ORDER BY name LIMIT $5"
));

// The audit trail and its usage evidence.

/// The chain head, locked until the transaction ends on PostgreSQL, so events from every node and every
/// transaction form one chain (SQLite's write transaction holds the database already).
pub(crate) const LOCK_AUDIT_HEAD: Sql = Sql::dialects(
    "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    "SELECT seq, hash FROM audit_head WHERE id = 1",
);
pub(crate) const AUDIT_HEAD: Sql = Sql::both("SELECT seq, hash FROM audit_head WHERE id = 1");
pub(crate) const AUDIT_ANCHOR: Sql = Sql::both("SELECT seq, hash FROM audit_anchor WHERE id = 1");
pub(crate) const SET_AUDIT_HEAD: Sql = Sql::both("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1");
pub(crate) const SET_AUDIT_ANCHOR: Sql = Sql::both("UPDATE audit_anchor SET seq = $1, hash = $2 WHERE id = 1");
pub(crate) const INSERT_SEGMENT: Sql = Sql::both(
    "INSERT INTO audit_segments (first_seq, last_seq, earliest_time, latest_time, previous_hash, records, hashes) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)",
);
pub(crate) const INSERT_SEGMENT_KEY: Sql =
    Sql::both("INSERT INTO audit_segment_keys (key_arn, first_seq) VALUES ($1, $2)");
pub(crate) const SEGMENTS: Sql =
    Sql::both("SELECT first_seq, previous_hash, records, hashes FROM audit_segments ORDER BY first_seq");
pub(crate) const SEGMENT_RECORDS: Sql = Sql::both(
    "SELECT records FROM audit_segments WHERE CAST($1 AS TEXT) IS NULL \
     OR first_seq IN (SELECT first_seq FROM audit_segment_keys WHERE key_arn = $1) ORDER BY first_seq",
);
/// The last segment wholly before $1, never the one holding the head's event (the chain keeps one to check).
pub(crate) const LAST_SEGMENT_BEFORE: Sql = Sql::both(
    "SELECT last_seq, hashes FROM audit_segments WHERE latest_time < $1 \
     AND last_seq < (SELECT seq FROM audit_head WHERE id = 1) ORDER BY first_seq DESC LIMIT 1",
);
pub(crate) const COUNT_EVENTS_THROUGH: Sql = Sql::both(
    "SELECT CAST(COALESCE(SUM(last_seq - first_seq + 1), 0) AS BIGINT) FROM audit_segments WHERE last_seq <= $1",
);
pub(crate) const DELETE_SEGMENT_KEYS_THROUGH: Sql = Sql::both("DELETE FROM audit_segment_keys WHERE first_seq <= $1");
pub(crate) const DELETE_SEGMENTS_THROUGH: Sql = Sql::both("DELETE FROM audit_segments WHERE last_seq <= $1");
pub(crate) const ADD_USAGE: Sql = Sql::both(
    "INSERT INTO key_usage (key_arn, day, operation, principal, source_ip, error_code, calls, ciphertexts, first_at, \
     last_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
     ON CONFLICT (key_arn, day, operation, principal, source_ip, error_code) DO UPDATE SET \
     calls = key_usage.calls + excluded.calls, ciphertexts = key_usage.ciphertexts + excluded.ciphertexts, \
     first_at = CASE WHEN excluded.first_at < key_usage.first_at THEN excluded.first_at ELSE key_usage.first_at END, \
     last_at = CASE WHEN excluded.last_at > key_usage.last_at THEN excluded.last_at ELSE key_usage.last_at END",
);
pub(crate) const SET_LAST_USE: Sql = Sql::both(
    "INSERT INTO key_last_use (key_arn, operation, at, event_id, request_id) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (key_arn) DO UPDATE SET operation = excluded.operation, at = excluded.at, \
     event_id = excluded.event_id, request_id = excluded.request_id WHERE excluded.at >= key_last_use.at",
);
pub(crate) const ADD_REFUSED_USE: Sql = Sql::both(
    "INSERT INTO key_refused_uses (key_arn, at, operation, principal, source_ip, error_code, error_message, event_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
);
pub(crate) const USAGE_COUNTS: Sql = Sql::both(
    "SELECT key_arn, day, operation, principal, source_ip, error_code, calls, ciphertexts, first_at, last_at \
     FROM key_usage WHERE key_arn = $1 ORDER BY day, operation, principal, source_ip, error_code",
);
pub(crate) const LAST_USE: Sql =
    Sql::both("SELECT key_arn, operation, at, event_id, request_id FROM key_last_use WHERE key_arn = $1");
pub(crate) const REFUSED_USES: Sql = Sql::both(
    "SELECT key_arn, at, operation, principal, source_ip, error_code, error_message, event_id \
     FROM key_refused_uses WHERE key_arn = $1 ORDER BY seq",
);

// Retirement plans.

/// A new plan (version 0 as given, 1 as stored), replacing only a finished plan of the same key.
pub(crate) const INSERT_PLAN: Sql = Sql::both(concat!(
    "INSERT INTO retirement_plans (",
    plan_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
     CAST($14 AS BIGINT) + 1) ON CONFLICT (account, region, key_id) DO UPDATE SET step = excluded.step, \
     observe_millis = excluded.observe_millis, pending_window_days = excluded.pending_window_days, \
     started_at = excluded.started_at, observe_until = excluded.observe_until, scheduled_at = excluded.scheduled_at, \
     deletion_date = excluded.deletion_date, finished_at = excluded.finished_at, reason = excluded.reason, \
     started_by = excluded.started_by, version = retirement_plans.version + 1 \
     WHERE retirement_plans.step IN ('Completed', 'Halted', 'Aborted') RETURNING ",
    plan_columns!()
));
/// The next version of a plan, written only over the version given ($14).
pub(crate) const UPDATE_PLAN: Sql = Sql::both(concat!(
    "UPDATE retirement_plans SET step = $4, observe_millis = $5, pending_window_days = $6, started_at = $7, \
     observe_until = $8, scheduled_at = $9, deletion_date = $10, finished_at = $11, reason = $12, started_by = $13, \
     version = CAST($14 AS BIGINT) + 1 WHERE account = $1 AND region = $2 AND key_id = $3 AND version = $14 \
     RETURNING ",
    plan_columns!()
));
pub(crate) const GET_PLAN: Sql = Sql::both(concat!(
    "SELECT ",
    plan_columns!(),
    " FROM retirement_plans WHERE account = $1 AND region = $2 AND key_id = $3"
));
pub(crate) const ACTIVE_PLANS: Sql = Sql::both(concat!(
    "SELECT ",
    plan_columns!(),
    " FROM retirement_plans WHERE step IN ('Observing', 'PendingDeletion') ORDER BY started_at"
));

// Bookkeeping and credentials.

pub(crate) const GET_META: Sql = Sql::both("SELECT value FROM meta WHERE name = $1");
pub(crate) const INSERT_META: Sql = Sql::both("INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING");
pub(crate) const SET_META: Sql =
    Sql::both("INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value");

// Identities: access keys, users and their policies.

pub(crate) const INSERT_CREDENTIAL: Sql = Sql::both(
    "INSERT INTO credentials (access_key_id, account, sealed_secret, created_at, user_name) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT DO NOTHING",
);
pub(crate) const CREDENTIALS: Sql = Sql::both(
    "SELECT access_key_id, account, sealed_secret, created_at, user_name FROM credentials ORDER BY created_at",
);
pub(crate) const COUNT_USER_CREDENTIALS: Sql =
    Sql::both("SELECT COUNT(*) FROM credentials WHERE account = $1 AND user_name = $2");
pub(crate) const DELETE_USER_CREDENTIAL: Sql =
    Sql::both("DELETE FROM credentials WHERE account = $1 AND user_name = $2 AND access_key_id = $3");
pub(crate) const DELETE_USER_CREDENTIALS: Sql =
    Sql::both("DELETE FROM credentials WHERE account = $1 AND user_name = $2");
pub(crate) const INSERT_USER: Sql =
    Sql::both("INSERT INTO users (account, name, user_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING");
pub(crate) const USERS: Sql = Sql::both("SELECT account, name, user_id, created_at FROM users ORDER BY account, name");
/// A user, locked (on PostgreSQL) so that its access keys and policies change one writer at a time; SQLite's write
/// transaction already excludes every other writer.
pub(crate) const LOCK_USER: Sql = Sql::dialects(
    "SELECT account, name, user_id, created_at FROM users WHERE account = $1 AND name = $2 FOR UPDATE",
    "SELECT account, name, user_id, created_at FROM users WHERE account = $1 AND name = $2",
);
pub(crate) const DELETE_USER: Sql = Sql::both("DELETE FROM users WHERE account = $1 AND name = $2");
pub(crate) const PUT_USER_POLICY: Sql = Sql::both(
    "INSERT INTO user_policies (account, user_name, policy_name, document) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (account, user_name, policy_name) DO UPDATE SET document = excluded.document",
);
pub(crate) const USER_POLICIES: Sql = Sql::both(
    "SELECT account, user_name, policy_name, document FROM user_policies ORDER BY account, user_name, policy_name",
);
pub(crate) const POLICIES_OF_USER: Sql = Sql::both(
    "SELECT account, user_name, policy_name, document FROM user_policies WHERE account = $1 AND user_name = $2",
);
pub(crate) const DELETE_USER_POLICY: Sql =
    Sql::both("DELETE FROM user_policies WHERE account = $1 AND user_name = $2 AND policy_name = $3");
pub(crate) const DELETE_USER_POLICIES: Sql =
    Sql::both("DELETE FROM user_policies WHERE account = $1 AND user_name = $2");

// Grants.

/// The columns of `grants`, in `StoredGrant`'s field order.
macro_rules! grant_columns {
    () => {
        "account, region, key_id, grant_id, name, grantee_principal, retiring_principal, issuing_account, operations, \
         constraints, created_at"
    };
}

pub(crate) const INSERT_GRANT: Sql = Sql::both(concat!(
    "INSERT INTO grants (",
    grant_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
));
pub(crate) const COUNT_KEY_GRANTS: Sql =
    Sql::both("SELECT COUNT(*) FROM grants WHERE account = $1 AND region = $2 AND key_id = $3");
pub(crate) const KEY_GRANTS: Sql = Sql::both(concat!(
    "SELECT ",
    grant_columns!(),
    " FROM grants WHERE account = $1 AND region = $2 AND key_id = $3 ORDER BY created_at, grant_id"
));
pub(crate) const GRANTEE_GRANTS: Sql = Sql::both(concat!(
    "SELECT ",
    grant_columns!(),
    " FROM grants WHERE account = $1 AND region = $2 AND key_id = $3 AND grantee_principal = $4"
));
pub(crate) const RETIRABLE_GRANTS: Sql = Sql::both(concat!(
    "SELECT ",
    grant_columns!(),
    " FROM grants WHERE retiring_principal = $1 ORDER BY created_at, grant_id"
));
pub(crate) const GET_GRANT: Sql = Sql::both(concat!(
    "SELECT ",
    grant_columns!(),
    " FROM grants WHERE account = $1 AND region = $2 AND key_id = $3 AND grant_id = $4"
));
/// The grants to a principal (its ARN names its account), on any account's keys.
pub(crate) const DELETE_GRANTEE_GRANTS: Sql = Sql::both("DELETE FROM grants WHERE grantee_principal = $1");
/// A principal stops being any grant's retiring principal.
pub(crate) const FORGET_RETIRING_PRINCIPAL: Sql =
    Sql::both("UPDATE grants SET retiring_principal = NULL WHERE retiring_principal = $1");
pub(crate) const DELETE_GRANT: Sql =
    Sql::both("DELETE FROM grants WHERE account = $1 AND region = $2 AND key_id = $3 AND grant_id = $4");
pub(crate) const DELETE_KEY_GRANTS: Sql =
    Sql::both("DELETE FROM grants WHERE account = $1 AND region = $2 AND key_id = $3");

/// Dev mode's reset: everything but the accounts' root access keys and the bookkeeping (the chain's head and anchor
/// go back to the start separately).
pub(crate) const RESET: &str = "DELETE FROM keys; DELETE FROM aliases; DELETE FROM audit_segments; \
     DELETE FROM audit_segment_keys; DELETE FROM key_usage; DELETE FROM key_last_use; DELETE FROM key_refused_uses; \
     DELETE FROM retirement_plans; DELETE FROM grants; DELETE FROM user_policies; DELETE FROM users; \
     DELETE FROM credentials WHERE user_name IS NOT NULL;";
