-- Trent schema version 4: event IDs are random UUIDs made by Trent, so their uniqueness needs no index; the unique
-- index cost a random page write per event. A plain index keeps lookups by event ID fast enough for queries.
CREATE TABLE audit_events_new (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      TEXT    NOT NULL,
    event_time    INTEGER NOT NULL,
    event_name    TEXT    NOT NULL,
    account       TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    key_arn       TEXT,
    record        TEXT    NOT NULL,
    previous_hash TEXT    NOT NULL DEFAULT '',
    hash          TEXT    NOT NULL DEFAULT ''
);
INSERT INTO audit_events_new SELECT seq, event_id, event_time, event_name, account, region, key_arn, record, previous_hash, hash FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_by_key ON audit_events (key_arn);
