-- Trent schema version 3: the audit hash chain. Each event carries the hash it was chained to and its own hash;
-- audit_head holds the last event's sequence number and hash, so removing events from the end is detected too.
ALTER TABLE audit_events ADD COLUMN previous_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
