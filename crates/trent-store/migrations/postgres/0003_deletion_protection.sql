-- Trent schema version 3 (PostgreSQL): deletion protection (a Trent extension): while set, ScheduleKeyDeletion is refused.
ALTER TABLE keys ADD COLUMN deletion_protection BOOLEAN NOT NULL DEFAULT FALSE;
