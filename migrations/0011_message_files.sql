-- The message's attachments as enrichment left them for the agent (JSON array of
-- { name, mime, size, path, transcript?, error? }); null when there are none.
ALTER TABLE messages ADD COLUMN files TEXT;
