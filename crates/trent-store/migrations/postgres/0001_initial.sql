-- Trent schema version 1 (PostgreSQL). Text identifiers use the "C" collation so that paging by key ID and alias
-- name follows byte order, as on SQLite.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE keys (
    account             TEXT COLLATE "C" NOT NULL,
    region              TEXT COLLATE "C" NOT NULL,
    key_id              TEXT COLLATE "C" NOT NULL,
    created_at          BIGINT NOT NULL,  -- ms since epoch, lifecycle clock
    description         TEXT   NOT NULL,
    key_spec            TEXT   NOT NULL,
    key_usage           TEXT   NOT NULL,
    origin              TEXT   NOT NULL,
    key_manager         TEXT   NOT NULL,
    state               TEXT   NOT NULL,  -- the one column holding the key state
    deletion_date       BIGINT,           -- ms since epoch; set only while PendingDeletion
    pending_window_days BIGINT,
    tags                TEXT   NOT NULL,  -- JSON array of {key, value}
    policy              TEXT   NOT NULL,
    wrapped_material    BYTEA  NOT NULL,  -- sealed under the root key, never plaintext
    version             BIGINT NOT NULL,  -- bumped on every change; writes are conditional on it
    PRIMARY KEY (account, region, key_id)
);
CREATE INDEX keys_by_deletion_date ON keys (deletion_date) WHERE deletion_date IS NOT NULL;

CREATE TABLE aliases (
    account    TEXT COLLATE "C" NOT NULL,
    region     TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    key_id     TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account, region, name)
);
CREATE INDEX aliases_by_key ON aliases (account, region, key_id);

CREATE TABLE audit_events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    TEXT   NOT NULL UNIQUE,
    event_time  BIGINT NOT NULL,
    event_name  TEXT   NOT NULL,
    account     TEXT   NOT NULL,
    region      TEXT   NOT NULL,
    key_arn     TEXT,
    record      TEXT   NOT NULL -- the CloudTrail-shaped JSON record
);
CREATE INDEX audit_events_by_key ON audit_events (key_arn);

CREATE TABLE credentials (
    access_key_id TEXT   PRIMARY KEY,
    account       TEXT   NOT NULL,
    sealed_secret BYTEA  NOT NULL, -- sealed under the root key
    created_at    BIGINT NOT NULL
);
