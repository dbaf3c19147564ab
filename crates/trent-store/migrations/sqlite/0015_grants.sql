-- Trent schema version 15: grants. A grant gives its grantee principal some operations on one key (of one region)
-- until it is retired or revoked, or its key is destroyed. operations is a JSON array of operation names,
-- constraints a JSON object of AWS's GrantConstraints (empty text when none); name is empty when none was given.
CREATE TABLE grants (
    account            TEXT    NOT NULL,
    region             TEXT    NOT NULL,
    key_id             TEXT    NOT NULL,
    grant_id           TEXT    NOT NULL,
    name               TEXT    NOT NULL,
    grantee_principal  TEXT    NOT NULL,
    retiring_principal TEXT,
    issuing_account    TEXT    NOT NULL,
    operations         TEXT    NOT NULL,
    constraints        TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (account, region, key_id, grant_id)
);
CREATE INDEX grants_by_grantee ON grants (account, region, key_id, grantee_principal);
CREATE INDEX grants_by_retiring_principal ON grants (retiring_principal);
