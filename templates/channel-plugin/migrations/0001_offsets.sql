-- Where reading each Console account resumes: the next update id to ask for.
CREATE TABLE console_channel_offsets (
  account      TEXT PRIMARY KEY,
  next_update  INTEGER NOT NULL
);
