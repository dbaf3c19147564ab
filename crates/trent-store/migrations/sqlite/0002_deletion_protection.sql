-- Trent schema version 2: deletion protection (a Trent extension): while set, ScheduleKeyDeletion is refused.
ALTER TABLE keys ADD COLUMN deletion_protection INTEGER NOT NULL DEFAULT 0;
