-- Trent schema version 6 (PostgreSQL): usage evidence kept beside the audit trail (updated in the transaction that stores the
-- events it sums), the anchor that lets a pruned chain verify, and guided retirement plans.
CREATE TABLE key_usage (
    key_arn     TEXT    NOT NULL,
    day         BIGINT  NOT NULL, -- days since the epoch, UTC
    operation   TEXT    NOT NULL,
    principal   TEXT    NOT NULL,
    source_ip   TEXT    NOT NULL, -- '' when unknown
    error_code  TEXT    NOT NULL, -- '' for a success
    calls       BIGINT  NOT NULL,
    ciphertexts BIGINT  NOT NULL, -- ciphertexts produced under the key
    first_at    BIGINT  NOT NULL, -- ms since epoch
    last_at     BIGINT  NOT NULL,
    PRIMARY KEY (key_arn, day, operation, principal, source_ip, error_code)
);

-- The last successful cryptographic operation per key (GetKeyLastUsage).
CREATE TABLE key_last_use (
    key_arn    TEXT    PRIMARY KEY,
    operation  TEXT    NOT NULL,
    at         BIGINT  NOT NULL,
    event_id   TEXT    NOT NULL,
    request_id TEXT    NOT NULL
);

-- Attempted uses refused because the key was Disabled or PendingDeletion.
CREATE TABLE key_refused_uses (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_arn       TEXT    NOT NULL,
    at            BIGINT  NOT NULL,
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
    id   BIGINT  PRIMARY KEY CHECK (id = 1),
    seq  BIGINT  NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_anchor (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Guided retirement: one plan per key, run by the server on its clock.
CREATE TABLE retirement_plans (
    account             TEXT    NOT NULL,
    region              TEXT    NOT NULL,
    key_id              TEXT    NOT NULL,
    step                TEXT    NOT NULL, -- Observing, PendingDeletion, Completed, Halted, Aborted
    observe_millis      BIGINT  NOT NULL,
    pending_window_days BIGINT  NOT NULL,
    started_at          BIGINT  NOT NULL,
    observe_until       BIGINT  NOT NULL,
    scheduled_at        BIGINT,           -- when deletion was scheduled
    deletion_date       BIGINT, 
    finished_at         BIGINT, 
    reason              TEXT    NOT NULL, -- why the plan halted or ended
    started_by          TEXT    NOT NULL,
    version             BIGINT  NOT NULL,
    PRIMARY KEY (account, region, key_id)
);
CREATE INDEX retirement_plans_by_step ON retirement_plans (step);
