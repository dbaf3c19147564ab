-- Trent schema version 11 (PostgreSQL): imported key material (origin EXTERNAL): the import tokens issued and what the
-- key knows of its material (JSON), and when the material it holds expires (ms), for the material worker.
ALTER TABLE keys ADD COLUMN import TEXT NOT NULL DEFAULT '{}';
ALTER TABLE keys ADD COLUMN material_valid_to BIGINT;
