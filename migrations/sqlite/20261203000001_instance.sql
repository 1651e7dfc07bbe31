-- Facts about this Caveman installation: exactly one row.
CREATE TABLE instance (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    installed_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

INSERT INTO instance (id) VALUES (1);
