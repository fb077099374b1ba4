-- The client's cache of one server + account. Times are milliseconds since the epoch.
CREATE TABLE users (
    id    INTEGER PRIMARY KEY,
    name  TEXT,
    email TEXT,
    role  TEXT NOT NULL
);

CREATE TABLE conversations (
    id           INTEGER PRIMARY KEY,
    booking_id   INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    -- As the server last counted it (production counts within the newest 50 messages).
    unread_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE participants (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    user_id         INTEGER NOT NULL,
    joined_at       INTEGER NOT NULL
);
CREATE INDEX participants_conversation ON participants (conversation_id);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL,
    sender_id       INTEGER NOT NULL,
    content         TEXT    NOT NULL,
    type            TEXT    NOT NULL,
    read            INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    client_id       TEXT,
    -- The sender as the server sent it with the message: a page needs no join.
    sender_name     TEXT,
    sender_role     TEXT    NOT NULL
);
CREATE INDEX messages_page ON messages (conversation_id, created_at DESC, id DESC);
-- Unread counts (and receipts) read only this index: unread rows by conversation and sender.
CREATE INDEX messages_unread ON messages (conversation_id, sender_id) WHERE read = 0;

-- Full-text search over message text. Indexing is deferred: a new message only enters
-- fts_queue (one small write); Cache::index_pending moves queued rows into the index when the
-- cache thread is idle and before every search. Indexing a row costs more than storing it
-- (140 of 250 µs), and it is not on the path of a message to the screen.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content, content = 'messages', content_rowid = 'id', prefix = '2 3', columnsize = 0
);
CREATE TABLE fts_queue (id INTEGER PRIMARY KEY);
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT OR IGNORE INTO fts_queue (id) VALUES (new.id);
END;
-- A row still queued is not in the index: only indexed rows are deleted from it.
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content)
        SELECT 'delete', old.id, old.content WHERE NOT EXISTS (SELECT 1 FROM fts_queue WHERE id = old.id);
    DELETE FROM fts_queue WHERE id = old.id;
END;
CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content)
        SELECT 'delete', old.id, old.content WHERE NOT EXISTS (SELECT 1 FROM fts_queue WHERE id = old.id);
    INSERT OR IGNORE INTO fts_queue (id) VALUES (new.id);
END;

CREATE TABLE calls (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL,
    room_name       TEXT    NOT NULL,
    started_by      INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    ended_at        INTEGER,
    duration        INTEGER,
    status          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX calls_conversation ON calls (conversation_id, started_at DESC);

-- Messages typed here and not yet acknowledged: pending -> sent, or failed with a reason.
CREATE TABLE outbox (
    local_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id       TEXT    NOT NULL UNIQUE,
    conversation_id INTEGER NOT NULL,
    content         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
    reason          TEXT,
    message_id      INTEGER,
    created_at      INTEGER NOT NULL,
    -- How often it was emitted, and when last: an attempted row may already be on the server.
    attempts        INTEGER NOT NULL DEFAULT 0,
    attempted_at    INTEGER
);
CREATE INDEX outbox_state ON outbox (state, local_id);

-- How far each conversation's history is known.
CREATE TABLE sync_state (
    conversation_id INTEGER PRIMARY KEY,
    -- True once a page came back shorter than asked: nothing older exists on the server.
    complete        INTEGER NOT NULL DEFAULT 0
);
