-- Trent schema version 10: automatic rotation, while it is on: its period and when the material next rotates (ms).
ALTER TABLE keys ADD COLUMN rotation_period_days INTEGER;
ALTER TABLE keys ADD COLUMN next_rotation_date INTEGER;
