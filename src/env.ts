import type { AccountLedger } from './durable/account-ledger';
import type { AuditLog } from './durable/audit-log';
import type { LoginThrottle } from './durable/login-throttle';

/** Bindings, vars and secrets of the Worker, as wrangler.toml and Workers Secrets define them. */
export interface Env {
  DB: D1Database;
  REVOKED_TOKENS: KVNamespace;
  ACCOUNT_LEDGER: DurableObjectNamespace<AccountLedger>;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
  LOGIN_THROTTLE: DurableObjectNamespace<LoginThrottle>;
  /** Static assets: only the vendored /docs bundle, served when the Worker passes a request on. */
  ASSETS: Fetcher;

  ENVIRONMENT: string;
  CORS_ORIGINS: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  ACCESS_TOKEN_TTL_SECONDS: string;
  REFRESH_TOKEN_TTL_SECONDS: string;
  BENCH_ROUTES?: string; // 'true' serves /bench/* outside production, for bench/run.mjs only

  /** Where links in mail point, e.g. the web app's origin; never taken from the Host header. */
  PUBLIC_APP_ORIGIN?: string;
  /** Cloudflare's send_email binding and its sender address, outside development. */
  MAILER?: SendEmail;
  MAIL_FROM?: string;

  JWT_SECRET: string;
  /** The Ed25519 private JWK (JSON) that signs tokens; without it, JWT_SECRET signs HS256. */
  JWT_SIGNING_KEY?: string;
  /** A JSON array of retired Ed25519 public JWKs whose tokens still verify until they expire. */
  JWT_VERIFY_KEYS?: string;
  FIELD_ENCRYPTION_KEYS: string;
  FIELD_ENCRYPTION_CURRENT_KEY_ID: string;
  BLIND_INDEX_KEY: string;
}
