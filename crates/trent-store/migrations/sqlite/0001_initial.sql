-- Trent schema version 1.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE keys (
    account             TEXT    NOT NULL,
    region              TEXT    NOT NULL,
    key_id              TEXT    NOT NULL,
    created_at          INTEGER NOT NULL, -- ms since epoch, lifecycle clock
    description         TEXT    NOT NULL,
    key_spec            TEXT    NOT NULL,
    key_usage           TEXT    NOT NULL,
    origin              TEXT    NOT NULL,
    key_manager         TEXT    NOT NULL,
    state               TEXT    NOT NULL, -- the one column holding the key state
    deletion_date       INTEGER,          -- ms since epoch; set only while PendingDeletion
    pending_window_days INTEGER,
    tags                TEXT    NOT NULL, -- JSON array of {key, value}
    policy              TEXT    NOT NULL,
    wrapped_material    BLOB    NOT NULL, -- sealed under the root key, never plaintext
    version             INTEGER NOT NULL, -- bumped on every change; writes are conditional on it
    PRIMARY KEY (account, region, key_id)
);
CREATE INDEX keys_by_deletion_date ON keys (deletion_date) WHERE deletion_date IS NOT NULL;

CREATE TABLE aliases (
    account    TEXT    NOT NULL,
    region     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account, region, name)
);
CREATE INDEX aliases_by_key ON aliases (account, region, key_id);

CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT    NOT NULL UNIQUE,
    event_time  INTEGER NOT NULL,
    event_name  TEXT    NOT NULL,
    account     TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    key_arn     TEXT,
    record      TEXT    NOT NULL -- the CloudTrail-shaped JSON record
);
CREATE INDEX audit_events_by_key ON audit_events (key_arn);

CREATE TABLE credentials (
    access_key_id TEXT    PRIMARY KEY,
    account       TEXT    NOT NULL,
    sealed_secret BLOB    NOT NULL, -- sealed under the root key
    created_at    INTEGER NOT NULL
);
