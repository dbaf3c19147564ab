-- Trent schema version 12: a multi-Region key's role in its set (PRIMARY or REPLICA); NULL for a
-- single-Region key. The set is every row with the same account and mrk- key ID, one per region.
ALTER TABLE keys ADD COLUMN multi_region_key_type TEXT;
-- Finding a set without scanning the account's keys.
CREATE INDEX keys_by_account_and_id ON keys (account, key_id);
