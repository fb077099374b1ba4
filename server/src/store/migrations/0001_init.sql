-- Times are milliseconds since the Unix epoch (INTEGER): they sort and subtract cheaply and
-- are formatted as ISO-8601 with milliseconds only on the wire.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    name          TEXT,
    role          TEXT    NOT NULL CHECK (role IN ('PATIENT', 'NURSE', 'ADMIN')),
    last_seen     INTEGER,
    created_at    INTEGER NOT NULL
);

CREATE TABLE conversations (
    id         INTEGER PRIMARY KEY,
    booking_id INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
-- No index on updated_at: every message bumps it, and a user's few conversations sort in memory.

CREATE TABLE participants (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    joined_at       INTEGER NOT NULL,
    UNIQUE (conversation_id, user_id)
);
CREATE INDEX participants_user ON participants (user_id, conversation_id);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    sender_id       INTEGER NOT NULL REFERENCES users (id),
    content         TEXT    NOT NULL,
    type            TEXT    NOT NULL CHECK (type IN ('TEXT', 'IMAGE', 'FILE', 'SYSTEM')),
    read            INTEGER NOT NULL DEFAULT 0,
    -- Part B.5: the sender's idempotency key; NULL when none was sent (or in compat mode).
    client_id       TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_page ON messages (conversation_id, created_at DESC, id DESC);
CREATE INDEX messages_unread ON messages (conversation_id, read, sender_id);
CREATE UNIQUE INDEX messages_client_id ON messages (sender_id, client_id) WHERE client_id IS NOT NULL;

CREATE TABLE video_calls (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    room_name       TEXT    NOT NULL UNIQUE,
    started_by      INTEGER NOT NULL REFERENCES users (id),
    started_at      INTEGER NOT NULL,
    -- Part B.8: when the callee accepted; an unanswered call turns MISSED after a while.
    answered_at     INTEGER,
    ended_at        INTEGER,
    duration        INTEGER,
    status          TEXT    NOT NULL CHECK (status IN ('ONGOING', 'ENDED', 'MISSED')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX video_calls_conversation ON video_calls (conversation_id, started_at DESC);
CREATE INDEX video_calls_ongoing ON video_calls (status) WHERE status = 'ONGOING';
