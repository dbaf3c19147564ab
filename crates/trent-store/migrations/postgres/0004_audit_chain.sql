-- Trent schema version 4 (PostgreSQL): the audit hash chain. Every transaction that appends events locks the one
-- audit_head row, so the chain has one order across all nodes.
ALTER TABLE audit_events ADD COLUMN previous_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
