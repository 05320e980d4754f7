-- TOTP second factor (RFC 6238), its recovery codes, and the login challenges between the
-- password step and the code step.

-- One row per holder who has started TOTP setup. A table of its own rather than columns on
-- account_holders: the holder row is read whole by many routes, and the encrypted seed should
-- not travel with it; setup, confirmation and removal then touch this row only; and another
-- factor kind can later get its own table without altering account_holders again.
-- account_holders.mfa_enabled stays the switch that login reads; it is written in the same D1
-- batch as this row, so the two never disagree.
--   secret_ciphertext: the confirmed seed (AES-256-GCM, bound to this table, column and holder).
--   unconfirmed_secret_ciphertext: a seed from setup, until a code proves the app has it.
--   last_step: the highest TOTP time step accepted so far. A code is accepted only by raising
--     it with a conditional UPDATE, so each code works once (RFC 6238 §5.2). It lives in D1,
--     strongly consistent, never in KV (eventually consistent, 60 s minimum TTL).
CREATE TABLE mfa_factors (
  holder_id TEXT PRIMARY KEY NOT NULL REFERENCES account_holders (id),
  secret_ciphertext TEXT,
  unconfirmed_secret_ciphertext TEXT,
  last_step INTEGER NOT NULL DEFAULT 0 CHECK (last_step >= 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- Single-use recovery codes, stored only as a keyed SHA-256 (HMAC) of the code and holder id.
CREATE TABLE mfa_recovery_codes (
  id TEXT PRIMARY KEY NOT NULL,
  holder_id TEXT NOT NULL REFERENCES account_holders (id),
  code_hash TEXT NOT NULL UNIQUE,
  used_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX mfa_recovery_codes_holder_idx ON mfa_recovery_codes (holder_id);

-- A password-checked login waiting for its second factor. The client holds 32 random bytes
-- (the mfa_token); only their SHA-256 is stored. Single use, five minutes, and a bounded number
-- of attempts, each counted by a conditional UPDATE before the code is looked at.
CREATE TABLE mfa_challenges (
  id TEXT PRIMARY KEY NOT NULL,
  holder_id TEXT NOT NULL REFERENCES account_holders (id),
  token_hash TEXT NOT NULL UNIQUE,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  expires_at TEXT NOT NULL,
  used_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX mfa_challenges_holder_idx ON mfa_challenges (holder_id);
CREATE INDEX mfa_challenges_expires_idx ON mfa_challenges (expires_at);
