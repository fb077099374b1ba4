-- A chat's files as the server last listed them (the Files panel works offline), and the
-- copies downloaded here: their bytes in chunks inside this encrypted file, never a plaintext
-- file beside it.
CREATE TABLE files (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL,
    filename        TEXT    NOT NULL,
    mimetype        TEXT    NOT NULL,
    size            INTEGER NOT NULL,
    url             TEXT    NOT NULL,
    uploaded_by     INTEGER,
    uploader_name   TEXT,
    uploader_email  TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX files_conversation ON files (conversation_id, created_at DESC, id DESC);

-- A copy kept here; `complete` once all its chunks are in.
CREATE TABLE kept_files (
    file_id  INTEGER PRIMARY KEY,
    size     INTEGER NOT NULL,
    kept_at  INTEGER NOT NULL,
    used_at  INTEGER NOT NULL,
    complete INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE file_chunks (
    file_id INTEGER NOT NULL,
    n       INTEGER NOT NULL,
    data    BLOB    NOT NULL,
    PRIMARY KEY (file_id, n)
) WITHOUT ROWID;
