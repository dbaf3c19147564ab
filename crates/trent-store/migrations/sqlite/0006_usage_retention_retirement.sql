-- Trent schema version 6: usage evidence kept beside the audit trail (updated in the transaction that stores the
-- events it sums), the anchor that lets a pruned chain verify, and guided retirement plans.
CREATE TABLE key_usage (
    key_arn     TEXT    NOT NULL,
    day         INTEGER NOT NULL, -- days since the epoch, UTC
    operation   TEXT    NOT NULL,
    principal   TEXT    NOT NULL,
    source_ip   TEXT    NOT NULL, -- '' when unknown
    error_code  TEXT    NOT NULL, -- '' for a success
    calls       INTEGER NOT NULL,
    ciphertexts INTEGER NOT NULL, -- ciphertexts produced under the key
    first_at    INTEGER NOT NULL, -- ms since epoch
    last_at     INTEGER NOT NULL,
    PRIMARY KEY (key_arn, day, operation, principal, source_ip, error_code)
) WITHOUT ROWID;

-- The last successful cryptographic operation per key (GetKeyLastUsage).
CREATE TABLE key_last_use (
    key_arn    TEXT    PRIMARY KEY,
    operation  TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    event_id   TEXT    NOT NULL,
    request_id TEXT    NOT NULL
);

-- Attempted uses refused because the key was Disabled or PendingDeletion.
CREATE TABLE key_refused_uses (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    key_arn       TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    operation     TEXT    NOT NULL,
    principal     TEXT    NOT NULL,
    source_ip     TEXT    NOT NULL,
    error_code    TEXT    NOT NULL,
    error_message TEXT    NOT NULL,
    event_id      TEXT    NOT NULL
);
CREATE INDEX key_refused_uses_by_key ON key_refused_uses (key_arn);

-- The last event removed by retention: the remaining chain starts from its hash.
CREATE TABLE audit_anchor (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_anchor (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Guided retirement: one plan per key, run by the server on its clock.
CREATE TABLE retirement_plans (
    account             TEXT    NOT NULL,
    region              TEXT    NOT NULL,
    key_id              TEXT    NOT NULL,
    step                TEXT    NOT NULL, -- Observing, PendingDeletion, Completed, Halted, Aborted
    observe_millis      INTEGER NOT NULL,
    pending_window_days INTEGER NOT NULL,
    started_at          INTEGER NOT NULL,
    observe_until       INTEGER NOT NULL,
    scheduled_at        INTEGER,          -- when deletion was scheduled
    deletion_date       INTEGER,
    finished_at         INTEGER,
    reason              TEXT    NOT NULL, -- why the plan halted or ended
    started_by          TEXT    NOT NULL,
    version             INTEGER NOT NULL,
    PRIMARY KEY (account, region, key_id)
);
CREATE INDEX retirement_plans_by_step ON retirement_plans (step);
