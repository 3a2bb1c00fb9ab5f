-- Operator overrides of a group's grant rules, checked after its derived defaults.
CREATE TABLE group_grants (
  group_folder  TEXT PRIMARY KEY,
  -- JSON array of rule strings, each valid when stored.
  rules         TEXT NOT NULL,
  updated_at    INTEGER NOT NULL
);
