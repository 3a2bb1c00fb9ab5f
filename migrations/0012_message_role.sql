-- The role the host vouches for on a message it writes on someone's behalf: a scheduled
-- task's prompt runs with the role of whoever created the task. Null for every other
-- row, whose role comes from its sender (or, for a delegation, its origin's sender).
ALTER TABLE messages ADD COLUMN sender_role TEXT CHECK (sender_role IN ('operator', 'member', 'guest'));
