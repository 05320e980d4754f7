-- Re-authentication inside a session (password change, email change, turning MFA off,
-- erasure) is limited per session: each attempt is counted before the password is checked and
-- a right answer clears the count, so parallel guesses cannot overshoot the limit. When the
-- count is spent the session is ended, which stops a stolen access token without locking the
-- owner's own login.
ALTER TABLE sessions ADD COLUMN reauth_attempts INTEGER NOT NULL DEFAULT 0
  CHECK (reauth_attempts >= 0);
