-- Trent schema version 7 (PostgreSQL): the audit trail in segments (runs of consecutive chained events, compressed,
-- with each event's hash; see trent_audit::segment) instead of a row per event, and an index of the keys each segment
-- names. The events already stored move into segments with their hashes unchanged (in Rust, after this script), then
-- the old table is dropped.
CREATE TABLE audit_segments (
    first_seq     BIGINT PRIMARY KEY,
    last_seq      BIGINT NOT NULL,
    earliest_time BIGINT NOT NULL, -- ms since epoch
    latest_time   BIGINT NOT NULL,
    previous_hash TEXT   NOT NULL,
    records       BYTEA  NOT NULL, -- LZ4 of 'millis TAB record NEWLINE' lines
    hashes        BYTEA  NOT NULL  -- 32 bytes per event
);
-- Already compressed: PostgreSQL need not try again.
ALTER TABLE audit_segments ALTER COLUMN records SET STORAGE EXTERNAL;
CREATE TABLE audit_segment_keys (
    key_arn   TEXT   NOT NULL,
    first_seq BIGINT NOT NULL,
    PRIMARY KEY (key_arn, first_seq)
);
