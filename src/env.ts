import type { AccountLedger } from './durable/account-ledger';

/** Bindings, vars and secrets of the Worker, as wrangler.toml and Workers Secrets define them. */
export interface Env {
  DB: D1Database;
  REVOKED_TOKENS: KVNamespace;
  ACCOUNT_LEDGER: DurableObjectNamespace<AccountLedger>;

  ENVIRONMENT: string;
  CORS_ORIGINS: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  ACCESS_TOKEN_TTL_SECONDS: string;
  REFRESH_TOKEN_TTL_SECONDS: string;

  JWT_SECRET: string;
  FIELD_ENCRYPTION_KEYS: string;
  FIELD_ENCRYPTION_CURRENT_KEY_ID: string;
  BLIND_INDEX_KEY: string;
}
