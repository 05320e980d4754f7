import type { AccountLedger } from './durable/account-ledger';
import type { AuditLog } from './durable/audit-log';
import type { LoginThrottle } from './durable/login-throttle';
import type { RateLimiter } from './durable/rate-limiter';

/** Bindings, vars and secrets of the Worker, as wrangler.toml and Workers Secrets define them. */
export interface Env {
  DB: D1Database;
  REVOKED_TOKENS: KVNamespace;
  ACCOUNT_LEDGER: DurableObjectNamespace<AccountLedger>;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
  LOGIN_THROTTLE: DurableObjectNamespace<LoginThrottle>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  /** Static assets: only the vendored /docs bundle, served when the Worker passes a request on. */
  ASSETS: Fetcher;

  ENVIRONMENT: string;
  CORS_ORIGINS: string;
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  ACCESS_TOKEN_TTL_SECONDS: string;
  REFRESH_TOKEN_TTL_SECONDS: string;
  /** Requests a minute (API.md "Limits"); unset means the documented default. */
  RATE_LIMIT_GENERAL_PER_MINUTE?: string;
  RATE_LIMIT_AUTH_PER_MINUTE?: string;
  RATE_LIMIT_MONEY_PER_MINUTE?: string;
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
  /** A single HMAC key, the ring `b0` when BLIND_INDEX_KEYS is not set. */
  BLIND_INDEX_KEY?: string;
  /** `keyId:base64Key,...` HMAC keys for blind indexes, with the id of the current one. */
  BLIND_INDEX_KEYS?: string;
  BLIND_INDEX_CURRENT_KEY_ID?: string;
  /** The bearer secret of the /ops routes; unset, they answer 404. */
  OPS_API_TOKEN?: string;
}
