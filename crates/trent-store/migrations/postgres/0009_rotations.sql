-- Trent schema version 9 (PostgreSQL): the materials a key's rotations made (JSON, each sealed under the root key).
ALTER TABLE keys ADD COLUMN rotations TEXT NOT NULL DEFAULT '[]';
