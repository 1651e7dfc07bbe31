-- Facts about this Caveman installation: exactly one row.
CREATE TABLE instance (
    id           SMALLINT    PRIMARY KEY CHECK (id = 1),
    installed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

INSERT INTO instance (id) VALUES (1);
