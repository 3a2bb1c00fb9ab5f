-- The harness that answered the run (demo, claude, openai, …); null for runs stored before this column.
ALTER TABLE runs ADD COLUMN harness TEXT;
