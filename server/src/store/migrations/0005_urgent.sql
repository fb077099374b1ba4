-- Urgent messages (Part B, feature `urgent`): the recipient's app alerts again until it is
-- read; `read_at` tells the sender when (Unix milliseconds).
ALTER TABLE messages ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN read_at INTEGER;
