-- Route rows: the first row by (seq, id) whose match holds decides the group.
CREATE TABLE route_table_routes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  seq         INTEGER NOT NULL,
  -- Space-separated terms, all of which must hold; empty matches everything.
  match       TEXT NOT NULL,
  -- Group folder; may contain {sender}.
  target      TEXT NOT NULL,
  mode        TEXT NOT NULL CHECK (mode IN ('run', 'observe')),
  created_at  INTEGER NOT NULL
);
CREATE INDEX route_table_routes_order ON route_table_routes (seq, id);

-- A first run routes the local web chat to the seeded group.
INSERT INTO route_table_routes (seq, match, target, mode, created_at)
VALUES (100, 'platform=web', 'main', 'run', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
