-- Trent schema version 8 (PostgreSQL): why a key is protected from deletion (Alibaba's DeletionProtectionDescription).
ALTER TABLE keys ADD COLUMN deletion_protection_description TEXT NOT NULL DEFAULT '';
