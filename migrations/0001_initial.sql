-- Initial schema. Money is INTEGER minor units (cents); identifiers are TEXT UUIDv7;
-- timestamps are RFC 3339 UTC text, which sorts in time order.

CREATE TABLE account_holders (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  ssn_ciphertext TEXT NOT NULL,
  ssn_index TEXT NOT NULL UNIQUE,
  ssn_last4 TEXT NOT NULL,
  date_of_birth TEXT NOT NULL,
  mailing_address TEXT NOT NULL,
  mfa_enabled INTEGER NOT NULL DEFAULT 0 CHECK (mfa_enabled IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY NOT NULL,
  holder_id TEXT NOT NULL REFERENCES account_holders (id),
  refresh_jti TEXT NOT NULL,
  user_agent TEXT,
  last_used_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT,
  revoked_reason TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX sessions_holder_idx ON sessions (holder_id);

CREATE TABLE accounts (
  id TEXT PRIMARY KEY NOT NULL,
  holder_id TEXT NOT NULL REFERENCES account_holders (id),
  account_number TEXT NOT NULL UNIQUE CHECK (length(account_number) = 10),
  account_type TEXT NOT NULL CHECK (account_type IN ('checking', 'savings')),
  nickname TEXT,
  status TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'closed')),
  balance_minor INTEGER NOT NULL DEFAULT 0 CHECK (balance_minor >= 0),
  currency TEXT NOT NULL CHECK (currency = 'USD'),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX accounts_holder_idx ON accounts (holder_id, created_at);

-- One row per leg as the customer sees it. holder_id is the owner of account_id, copied so
-- that every read can be scoped to the caller without a join.
CREATE TABLE transactions (
  id TEXT PRIMARY KEY NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  holder_id TEXT NOT NULL REFERENCES account_holders (id),
  type TEXT NOT NULL CHECK (type IN ('deposit', 'withdrawal', 'transfer')),
  direction TEXT NOT NULL CHECK (direction IN ('credit', 'debit')),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL CHECK (currency = 'USD'),
  balance_after_minor INTEGER NOT NULL CHECK (balance_after_minor >= 0),
  status TEXT NOT NULL CHECK (status IN ('posted', 'pending')),
  transfer_id TEXT,
  peer_routing_number TEXT,
  peer_account_number TEXT,
  description TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX transactions_holder_idx ON transactions (holder_id, created_at, id);
CREATE INDEX transactions_account_idx ON transactions (account_id, created_at, id);

-- Double entry. Every movement writes entries that sum to zero; a customer account's
-- balance equals the sum of its entries. The bank's own ledgers have no account row.
CREATE TABLE ledger_entries (
  id TEXT PRIMARY KEY NOT NULL,
  movement_id TEXT NOT NULL,
  transaction_id TEXT NOT NULL REFERENCES transactions (id),
  ledger TEXT NOT NULL CHECK (ledger IN ('customer', 'cash', 'outgoing_clearing')),
  account_id TEXT REFERENCES accounts (id),
  amount_minor INTEGER NOT NULL CHECK (amount_minor <> 0),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CHECK ((ledger = 'customer') = (account_id IS NOT NULL))
);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id);
CREATE INDEX ledger_entries_movement_idx ON ledger_entries (movement_id);

-- Idempotency-Key records, per account holder. A record is claimed 'in_flight' before the
-- movement starts and completed in the same D1 batch that moves the money.
CREATE TABLE idempotency_keys (
  holder_id TEXT NOT NULL REFERENCES account_holders (id),
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_flight', 'completed')),
  transaction_id TEXT,
  response_status INTEGER,
  response_body TEXT,
  lease_expires_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (holder_id, idempotency_key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

CREATE TABLE cards (
  id TEXT PRIMARY KEY NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts (id),
  holder_id TEXT NOT NULL REFERENCES account_holders (id),
  card_type TEXT NOT NULL CHECK (card_type IN ('debit', 'credit')),
  number_ciphertext TEXT NOT NULL,
  number_index TEXT NOT NULL UNIQUE,
  last4 TEXT NOT NULL CHECK (length(last4) = 4),
  expiry_month INTEGER NOT NULL CHECK (expiry_month BETWEEN 1 AND 12),
  expiry_year INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'cancelled')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX cards_holder_idx ON cards (holder_id, created_at);
