-- Trent schema version 14: an account's users, their inline identity policies, and which user an access key signs
-- for (NULL: the account's root user, as every access key stored before this version).
ALTER TABLE credentials ADD COLUMN user_name TEXT;
CREATE INDEX credentials_by_user ON credentials (account, user_name);

CREATE TABLE users (
    account    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (account, name)
);
-- IAM user names are unique whatever their case.
CREATE UNIQUE INDEX users_by_name_in_any_case ON users (account, lower(name));

CREATE TABLE user_policies (
    account     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    policy_name TEXT NOT NULL,
    document    TEXT NOT NULL,
    PRIMARY KEY (account, user_name, policy_name)
);
