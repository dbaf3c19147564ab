-- Trent schema version 5 (PostgreSQL): the cancel-on-use safety net: an attempted use of a key pending deletion cancels it.
ALTER TABLE keys ADD COLUMN cancel_on_use BOOLEAN NOT NULL DEFAULT FALSE;
