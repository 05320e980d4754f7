-- Envelope encryption (docs/key-management.md) and erasure.

-- Each holder's data key, stored only wrapped (AES-256-GCM) by a key-encryption key (KEK) of
-- the FIELD_ENCRYPTION_KEYS ring in Workers Secrets. Every encrypted field of the holder is
-- sealed with this data key, so deleting this one row makes every copy of those fields
-- unreadable (crypto-shredding).
--   kek_id: the ring key that wrapped it. The rewrap job moves rows onto the current KEK;
--     a KEK may leave the ring only once no row names it.
--   version: bumped whenever the data key itself is replaced (a suspected compromise). Field
--     ciphertexts carry the version they were sealed under, and every write of a sealed field
--     is guarded by "the version is still this one", so a write racing a replacement fails
--     and is retried instead of leaving a value under a key that no longer exists.
CREATE TABLE holder_data_keys (
  holder_id TEXT PRIMARY KEY NOT NULL REFERENCES account_holders (id),
  wrapped_key TEXT NOT NULL,
  kek_id TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX holder_data_keys_kek_idx ON holder_data_keys (kek_id);

-- When the holder's personal data was erased (DELETE /account-holders/me). The row stays, with
-- placeholders in its unique columns, so that accounts, transactions and ledger entries keep
-- the owner they reference and the books still balance.
ALTER TABLE account_holders ADD COLUMN erased_at TEXT;

-- A row written only to make a D1 batch fail: the CHECK refuses every insert, so a statement
-- "INSERT INTO batch_guards SELECT 1 WHERE <something is wrong>" aborts, and rolls back, the
-- whole batch exactly when the condition holds. D1 has no BEGIN, so this is how a batch
-- asserts what it read is still true. The table is always empty.
CREATE TABLE batch_guards (
  failed INTEGER NOT NULL CHECK (failed = 0)
);
