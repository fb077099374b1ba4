-- Why a failed outbox row failed, as a kind (the app and the CLI act on it; `reason` is the
-- text shown): 'refused' (the server will not take it; sending again will not help),
-- 'server' (the server could not store it), 'unconfirmed' (no answer after every attempt).
-- `attempted_at` now holds the first emit that may have left, not the last.
ALTER TABLE outbox ADD COLUMN failure TEXT;
