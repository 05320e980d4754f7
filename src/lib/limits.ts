/** Every bound the API enforces, named with its unit. Code and tests read them from here. */

export const BODY_BYTES_MAX = 64 * 1024;
export const REQUEST_ID_LENGTH_MAX = 64;
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** A claimed key whose request died is released after this long, so a retry can proceed. */
export const IDEMPOTENCY_LEASE_SECONDS = 60;
export const AUTHORIZATION_HEADER_LENGTH_MAX = 4096;

export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 100;
export const CURSOR_LENGTH_MAX = 200;

/** 1,000,000,000.00 USD in cents. */
export const AMOUNT_MINOR_MAX = 100_000_000_000;

export const NAME_LENGTH_MAX = 255;
export const EMAIL_LENGTH_MAX = 254;
export const PASSWORD_LENGTH_MIN = 8;
export const PASSWORD_LENGTH_MAX = 128;
export const MAILING_ADDRESS_LENGTH_MAX = 500;
export const NICKNAME_LENGTH_MAX = 64;
export const DESCRIPTION_LENGTH_MAX = 500;
export const SEARCH_TEXT_LENGTH_MAX = 100;
export const SEARCH_WORDS_MAX = 5;
export const TOKEN_LENGTH_MAX = 2048;
export const USER_AGENT_LENGTH_MAX = 256;

export const HOLDER_AGE_YEARS_MIN = 18;
export const BIRTH_DATE_MIN = '1900-01-01';

export const STATEMENT_DAYS_DEFAULT = 30;
/** One calendar month at most per call: longer periods are asked for month by month. */
export const STATEMENT_DAYS_MAX = 31;
export const STATEMENT_TRANSACTIONS_MAX = 5000;

export const ACCOUNTS_PER_HOLDER_MAX = 20;
export const CARDS_PER_ACCOUNT_MAX = 10;
/** Attempts at drawing an unused random account or card number before giving up. */
export const NUMBER_DRAW_ATTEMPTS_MAX = 5;

/** KV refuses an expirationTtl under 60 seconds. */
export const KV_TTL_SECONDS_MIN = 60;

/** Failed logins for one email within the window that lock it. */
export const LOGIN_FAILURES_MAX = 5;
export const LOGIN_FAILURE_WINDOW_SECONDS = 15 * 60;
export const LOGIN_LOCKOUT_SECONDS = 15 * 60;

/**
 * Re-authentications (password, or password and code) one session may get wrong in a row; the
 * last of them ends the session. See services/reauth.ts.
 */
export const REAUTH_ATTEMPTS_PER_SESSION_MAX = 5;

/**
 * How long ago the session may have signed in (password login or signup) for it to turn MFA
 * on. Setup and enable take no password (API.md), so a recent sign-in stands in for one: a
 * token stolen later cannot tie the account to the thief's authenticator.
 */
export const MFA_ENROLMENT_SIGN_IN_AGE_SECONDS_MAX = 10 * 60;

export const PASSWORD_RESET_TOKEN_BYTES = 32;
export const PASSWORD_RESET_TTL_SECONDS = 15 * 60;

/**
 * Live sessions one holder may have. A new login beyond it ends the oldest, so the work of
 * listing and ending them stays bounded and the newest are the ones kept.
 */
export const LIVE_SESSIONS_PER_HOLDER_MAX = 100;

/** JWT_SIGNING_KEY and JWT_VERIFY_KEYS: JSON text length, and retired keys kept at once. */
export const JWT_KEYS_JSON_LENGTH_MAX = 4096;
export const JWT_VERIFY_KEYS_MAX = 8;

/** Rows the scheduled cleanup deletes per statement, and statements per table per run. */
export const CLEANUP_ROWS_PER_BATCH_MAX = 500;
export const CLEANUP_BATCHES_PER_TABLE_MAX = 20;

/**
 * Rate limits (API.md "Limits"): requests a client may make in any window of this length. The
 * per-minute quotas are configuration (src/config.ts); these are their defaults and the largest
 * quota configuration accepts, which also bounds the timestamps one limiter keeps per policy.
 */
export const RATE_LIMIT_WINDOW_SECONDS = 60;
export const RATE_LIMIT_GENERAL_PER_MINUTE_DEFAULT = 60;
export const RATE_LIMIT_AUTH_PER_MINUTE_DEFAULT = 5;
export const RATE_LIMIT_MONEY_PER_MINUTE_DEFAULT = 30;
export const RATE_LIMIT_PER_MINUTE_MAX = 100_000;

/**
 * Rows per sealed column one holder can have: cards are the most, ACCOUNTS_PER_HOLDER_MAX times
 * CARDS_PER_ACCOUNT_MAX live ones plus cancelled ones, so the bound leaves room for those.
 */
export const SEALED_ROWS_PER_HOLDER_MAX = 1000;
/** Holders (or data keys, or indexes) one pass of the rewrap job handles, per kind. */
export const KEY_REWRAP_BATCH_SIZE_DEFAULT = 50;
export const KEY_REWRAP_BATCH_SIZE_MAX = 200;
