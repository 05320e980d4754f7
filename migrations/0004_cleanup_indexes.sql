-- The scheduled cleanup deletes sessions past their absolute end; this keeps that a range scan.
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
