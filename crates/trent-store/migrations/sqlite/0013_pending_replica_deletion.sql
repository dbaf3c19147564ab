-- Trent schema version 13: a multi-Region primary key scheduled for deletion while replicas remain is stored as
-- state 'PendingReplicaDeletion' with its waiting period in pending_window_days and no deletion_date. The deletion
-- worker looks for such keys whose last replica is gone on every pass, through this index.
CREATE INDEX keys_pending_replica_deletion ON keys (account, key_id) WHERE state = 'PendingReplicaDeletion';
