import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Drizzle view of migrations/. The SQL files are the source of truth; a test keeps both equal. */

const timestamps = {
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
};

export const accountHolders = sqliteTable('account_holders', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull(),
  passwordHash: text('password_hash').notNull(),
  ssnCiphertext: text('ssn_ciphertext').notNull(),
  ssnIndex: text('ssn_index').notNull(),
  ssnLast4: text('ssn_last4').notNull(),
  dateOfBirth: text('date_of_birth').notNull(),
  mailingAddress: text('mailing_address').notNull(),
  mfaEnabled: integer('mfa_enabled', { mode: 'boolean' }).notNull().default(false),
  ...timestamps,
  /** Set when the holder's personal data was erased; the row stays for the books. */
  erasedAt: text('erased_at'),
});

export const sessions = sqliteTable('sessions', {
  id: text('id').primaryKey(),
  holderId: text('holder_id').notNull(),
  refreshJti: text('refresh_jti').notNull(),
  userAgent: text('user_agent'),
  lastUsedAt: text('last_used_at').notNull(),
  expiresAt: text('expires_at').notNull(),
  revokedAt: text('revoked_at'),
  revokedReason: text('revoked_reason'),
  /** Unanswered or wrong re-authentications in a row (services/reauth.ts). */
  reauthAttempts: integer('reauth_attempts').notNull().default(0),
  ...timestamps,
});

export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(),
  holderId: text('holder_id').notNull(),
  accountNumber: text('account_number').notNull(),
  accountType: text('account_type', { enum: ['checking', 'savings'] }).notNull(),
  nickname: text('nickname'),
  status: text('status', { enum: ['active', 'frozen', 'closed'] }).notNull(),
  balanceMinor: integer('balance_minor').notNull().default(0),
  currency: text('currency').notNull(),
  ...timestamps,
});

export const transactions = sqliteTable('transactions', {
  id: text('id').primaryKey(),
  accountId: text('account_id').notNull(),
  holderId: text('holder_id').notNull(),
  type: text('type', { enum: ['deposit', 'withdrawal', 'transfer'] }).notNull(),
  direction: text('direction', { enum: ['credit', 'debit'] }).notNull(),
  amountMinor: integer('amount_minor').notNull(),
  currency: text('currency').notNull(),
  balanceAfterMinor: integer('balance_after_minor').notNull(),
  status: text('status', { enum: ['posted', 'pending'] }).notNull(),
  transferId: text('transfer_id'),
  peerRoutingNumber: text('peer_routing_number'),
  peerAccountNumber: text('peer_account_number'),
  description: text('description'),
  ...timestamps,
});

export const ledgerEntries = sqliteTable('ledger_entries', {
  id: text('id').primaryKey(),
  movementId: text('movement_id').notNull(),
  transactionId: text('transaction_id').notNull(),
  ledger: text('ledger', { enum: ['customer', 'cash', 'outgoing_clearing'] }).notNull(),
  accountId: text('account_id'),
  amountMinor: integer('amount_minor').notNull(),
  ...timestamps,
});

export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    holderId: text('holder_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['in_flight', 'completed'] }).notNull(),
    transactionId: text('transaction_id'),
    responseStatus: integer('response_status'),
    responseBody: text('response_body'),
    leaseExpiresAt: text('lease_expires_at').notNull(),
    expiresAt: text('expires_at').notNull(),
    ...timestamps,
  },
  (table) => [primaryKey({ columns: [table.holderId, table.idempotencyKey] })],
);

export const cards = sqliteTable('cards', {
  id: text('id').primaryKey(),
  accountId: text('account_id').notNull(),
  holderId: text('holder_id').notNull(),
  cardType: text('card_type', { enum: ['debit', 'credit'] }).notNull(),
  numberCiphertext: text('number_ciphertext').notNull(),
  numberIndex: text('number_index').notNull(),
  last4: text('last4').notNull(),
  expiryMonth: integer('expiry_month').notNull(),
  expiryYear: integer('expiry_year').notNull(),
  status: text('status', { enum: ['active', 'frozen', 'cancelled'] }).notNull(),
  ...timestamps,
});

export type AccountHolderRow = typeof accountHolders.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;
export type TransactionRow = typeof transactions.$inferSelect;
export type CardRow = typeof cards.$inferSelect;
export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

export const auditEvents = sqliteTable('audit_events', {
  seq: integer('seq').primaryKey(),
  id: text('id').notNull(),
  holderId: text('holder_id'),
  sessionId: text('session_id'),
  subjectId: text('subject_id'),
  type: text('type').notNull(),
  outcome: text('outcome', { enum: ['success', 'failure'] }).notNull(),
  ip: text('ip'),
  prevHash: text('prev_hash').notNull(),
  hash: text('hash').notNull(),
  ...timestamps,
});

export const passwordResetTokens = sqliteTable('password_reset_tokens', {
  id: text('id').primaryKey(),
  holderId: text('holder_id').notNull(),
  tokenHash: text('token_hash').notNull(),
  expiresAt: text('expires_at').notNull(),
  usedAt: text('used_at'),
  ...timestamps,
});

export const devOutbox = sqliteTable('dev_outbox', {
  id: text('id').primaryKey(),
  recipient: text('recipient').notNull(),
  subject: text('subject').notNull(),
  body: text('body').notNull(),
  ...timestamps,
});

export type AuditEventRow = typeof auditEvents.$inferSelect;

/** A holder's TOTP factor (migrations/0003_mfa.sql); `accountHolders.mfaEnabled` is the switch. */
export const mfaFactors = sqliteTable('mfa_factors', {
  holderId: text('holder_id').primaryKey(),
  secretCiphertext: text('secret_ciphertext'),
  unconfirmedSecretCiphertext: text('unconfirmed_secret_ciphertext'),
  lastStep: integer('last_step').notNull().default(0),
  ...timestamps,
});

export const mfaRecoveryCodes = sqliteTable('mfa_recovery_codes', {
  id: text('id').primaryKey(),
  holderId: text('holder_id').notNull(),
  codeHash: text('code_hash').notNull(),
  usedAt: text('used_at'),
  ...timestamps,
});

export const mfaChallenges = sqliteTable('mfa_challenges', {
  id: text('id').primaryKey(),
  holderId: text('holder_id').notNull(),
  tokenHash: text('token_hash').notNull(),
  attempts: integer('attempts').notNull().default(0),
  expiresAt: text('expires_at').notNull(),
  usedAt: text('used_at'),
  ...timestamps,
});

/** A holder's data key, wrapped by a ring key-encryption key (migrations/0005). */
export const holderDataKeys = sqliteTable('holder_data_keys', {
  holderId: text('holder_id').primaryKey(),
  wrappedKey: text('wrapped_key').notNull(),
  kekId: text('kek_id').notNull(),
  version: integer('version').notNull(),
  ...timestamps,
});

export type HolderDataKeyRow = typeof holderDataKeys.$inferSelect;

/** Always empty: a failing insert here aborts a D1 batch on purpose (migrations/0005). */
export const batchGuards = sqliteTable('batch_guards', {
  failed: integer('failed').notNull(),
});
