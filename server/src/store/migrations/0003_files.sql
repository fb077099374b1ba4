-- Files shared in a conversation: the bytes live on disk, named by their SHA-256 (one copy
-- however often they are shared); a row here for each upload.
CREATE TABLE files (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id),
    uploaded_by     INTEGER NOT NULL REFERENCES users (id),
    filename        TEXT    NOT NULL,
    mimetype        TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    sha256          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX files_conversation ON files (conversation_id, created_at DESC, id DESC);
CREATE INDEX files_content ON files (sha256);
