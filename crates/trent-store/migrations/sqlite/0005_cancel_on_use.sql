-- Trent schema version 5: the cancel-on-use safety net: an attempted use of a key pending deletion cancels it.
ALTER TABLE keys ADD COLUMN cancel_on_use INTEGER NOT NULL DEFAULT 0;
