-- Urgent messages (our server, Part B): the flag and when it was read, on messages; the flag
-- on a queued message, so a retry keeps it.
ALTER TABLE messages ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN read_at INTEGER;
ALTER TABLE outbox ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
