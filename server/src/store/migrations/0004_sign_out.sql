-- An administrator's remote sign-out: tokens issued at or before this second (Unix seconds)
-- are refused from then on.
ALTER TABLE users ADD COLUMN signed_out_at INTEGER;
CREATE INDEX users_signed_out ON users (signed_out_at) WHERE signed_out_at IS NOT NULL;
