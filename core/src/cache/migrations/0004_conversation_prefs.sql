-- What the user chose per conversation on this device: muted (no notifications), and the
-- unsent draft of its composer, kept across restarts. In the encrypted cache: a draft is
-- text about a patient like any message.
CREATE TABLE conversation_prefs (
    conversation_id INTEGER PRIMARY KEY,
    muted           INTEGER NOT NULL DEFAULT 0,
    draft           TEXT
);
