-- Trent schema version 2 (PostgreSQL): the nodes sharing this database, each with a lease it renews while its
-- change listener keeps up. A writer waits for every node with a live lease to acknowledge its change.
CREATE TABLE nodes (
    node_id     TEXT PRIMARY KEY,
    lease_until BIGINT NOT NULL -- ms since epoch, database clock
);
