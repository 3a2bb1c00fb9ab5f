-- Operator actions taken through the web (dashboard, admin API): who, what, when.
CREATE TABLE audit (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  actor    TEXT NOT NULL,
  action   TEXT NOT NULL,
  target   TEXT NOT NULL,
  detail   TEXT
);
CREATE INDEX audit_at ON audit (at);
