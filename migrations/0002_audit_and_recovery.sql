-- Security event trail and password reset tokens.

-- Append-only: events are written by the AuditLog Durable Object alone, in `seq` order, each
-- carrying the SHA-256 of the previous one, so an edited, deleted or reordered row breaks the
-- chain. The triggers refuse UPDATE and DELETE outright. Events hold ids, types, times,
-- outcome and IP; never a name, email, SSN, card number, password or token.
CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY NOT NULL,
  id TEXT NOT NULL UNIQUE,
  holder_id TEXT,
  session_id TEXT,
  subject_id TEXT,
  type TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  ip TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX audit_events_holder_idx ON audit_events (holder_id, seq);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'audit events are append-only');
END;

-- Password reset tokens, stored only as SHA-256 hashes; single use, short-lived.
CREATE TABLE password_reset_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  holder_id TEXT NOT NULL REFERENCES account_holders (id),
  token_hash TEXT NOT NULL UNIQUE,
  expires_at TEXT NOT NULL,
  used_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX password_reset_tokens_holder_idx ON password_reset_tokens (holder_id);
CREATE INDEX password_reset_tokens_expires_idx ON password_reset_tokens (expires_at);

-- Mail written by the development mailer. Production sends through the send_email binding and
-- never writes here; the route that reads it exists only outside production.
CREATE TABLE dev_outbox (
  id TEXT PRIMARY KEY NOT NULL,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
