-- The vault keys this database has been used with. A server whose
-- configured keys include none of these cannot read what the database
-- holds, and refuses to start rather than write under a new key.
CREATE TABLE vault_keys (
    key_id        TEXT   PRIMARY KEY,
    first_used_at BIGINT NOT NULL
);
