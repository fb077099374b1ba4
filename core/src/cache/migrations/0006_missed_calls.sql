-- A call that rang here and nobody answered (rang out, cancelled by the caller, marked missed):
-- the chat's row carries a mark until the chat is opened. Kept here, not in the window or the
-- shell, so it survives a restart and every view shows the same.
CREATE TABLE missed_calls (
    conversation_id INTEGER PRIMARY KEY,
    call_id         INTEGER NOT NULL,
    caller_id       INTEGER NOT NULL,
    at              INTEGER NOT NULL
);
