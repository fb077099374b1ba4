-- The newest message up to which a conversation's cached history is known to have no gap
-- (down to its oldest cached message). Only a finished catch-up moves it; a catch-up cut
-- short leaves it where it was, so the next one pages down to it again.
ALTER TABLE sync_state ADD COLUMN contiguous_to INTEGER;
