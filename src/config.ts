import { z } from 'zod';
import type { Env } from './env';
import { assert } from './lib/assert';
import { base64ToBytes, bytesToBase64Url } from './lib/encoding';
import {
  JWT_KEYS_JSON_LENGTH_MAX,
  JWT_VERIFY_KEYS_MAX,
  KV_TTL_SECONDS_MIN,
  RATE_LIMIT_AUTH_PER_MINUTE_DEFAULT,
  RATE_LIMIT_GENERAL_PER_MINUTE_DEFAULT,
  RATE_LIMIT_MONEY_PER_MINUTE_DEFAULT,
  RATE_LIMIT_PER_MINUTE_MAX,
} from './lib/limits';

/** Raised when vars or secrets are missing or too weak. The message names what to fix. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Config {
  environment: 'development' | 'test' | 'staging' | 'production';
  corsOrigins: string[];
  jwt: {
    issuer: string;
    audience: string;
    /** JWT_SECRET: signs HS256 when there is no signing key, else only verifies HS256 tokens. */
    secret: Uint8Array | null;
    /** JWT_SIGNING_KEY: the Ed25519 private key that signs new tokens, when set. */
    signingKey: Ed25519Jwk | null;
    /** JWT_VERIFY_KEYS: retired Ed25519 public keys whose tokens still verify. */
    verifyKeys: Ed25519Jwk[];
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  /**
   * FIELD_ENCRYPTION_KEYS: the key-encryption keys that wrap each holder's data key (and still
   * open values sealed directly under them before envelope encryption).
   */
  fieldEncryption: KeyRing;
  /** BLIND_INDEX_KEYS (or the single BLIND_INDEX_KEY, as key id `b0`): HMAC keys. */
  blindIndex: KeyRing;
  /** OPS_API_TOKEN: the bearer secret of the /ops routes; null switches them off (404). */
  opsApiToken: string | null;
  /** Requests a minute: per client IP overall and on the auth routes, per holder on money. */
  rateLimits: { generalPerMinute: number; authPerMinute: number; moneyPerMinute: number };
}

/** Named 32-byte keys and the id of the one that makes new values. */
export interface KeyRing {
  currentKeyId: string;
  keys: Map<string, Uint8Array>;
}

/** The key id the single BLIND_INDEX_KEY gets in the ring; see docs/key-management.md. */
export const LEGACY_BLIND_INDEX_KEY_ID = 'b0';

const SECRET_BYTES_MIN = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;

function secretBytes(name: string, bytesExpected?: number) {
  return z.string({ error: `${name} is not set` }).transform((text, context) => {
    const bytes = base64ToBytes(text.trim());
    const isLongEnough = bytes !== null && bytes.length >= SECRET_BYTES_MIN;
    const isRightSize = bytesExpected === undefined || bytes?.length === bytesExpected;
    if (!isLongEnough || !isRightSize) {
      const size = bytesExpected ?? `at least ${SECRET_BYTES_MIN}`;
      context.addIssue({
        code: 'custom',
        message: `${name} must be base64 of ${size} random bytes`,
      });
      return z.NEVER;
    }
    return bytes;
  });
}

function seconds(name: string, minimum: number) {
  return z
    .string({ error: `${name} is not set` })
    .regex(/^\d{1,9}$/, `${name} must be a whole number of seconds`)
    .transform(Number)
    .refine((value) => value >= minimum, `${name} must be at least ${minimum}`);
}

/** A per-minute quota; unset means API.md's value, and zero would refuse every request. */
function perMinute(name: string, defaultQuota: number) {
  const message = `${name} must be a whole number from 1 to ${RATE_LIMIT_PER_MINUTE_MAX}`;
  // A number in wrangler.toml (no quotes) reaches the Worker as a number: say what to write.
  return z
    .string({ error: `${message}, written as a string` })
    .regex(/^\d{1,6}$/, message)
    .transform(Number)
    .refine((value) => value >= 1 && value <= RATE_LIMIT_PER_MINUTE_MAX, message)
    .optional()
    .transform((value) => value ?? defaultQuota);
}

/**
 * A ring variable: a comma-separated list of `keyId:base64Key`. AES keys are exactly 32 bytes;
 * HMAC keys at least 32 (a longer one is hashed down by HMAC itself).
 */
function keyRingSchema(name: string, size: { bytesMin: number; bytesMax: number }) {
  return z.string({ error: `${name} is not set` }).transform((text, context) => {
    const keys = new Map<string, Uint8Array>();
    for (const entry of text.split(',')) {
      const [keyId = '', encoded = ''] = entry.trim().split(':');
      const bytes = base64ToBytes(encoded);
      const isRightSize =
        bytes !== null && bytes.length >= size.bytesMin && bytes.length <= size.bytesMax;
      if (!KEY_ID_PATTERN.test(keyId) || !isRightSize || keys.has(keyId)) {
        const sizeText =
          size.bytesMin === size.bytesMax
            ? `${size.bytesMin}`
            : `${size.bytesMin} to ${size.bytesMax}`;
        context.addIssue({
          code: 'custom',
          message: `${name} entries must be keyId:base64 of ${sizeText} random bytes`,
        });
        return z.NEVER;
      }
      keys.set(keyId, bytes);
    }
    return keys;
  });
}

/** The key id of JWT_SECRET in token headers; an Ed25519 key may not take it. */
export const HMAC_KEY_ID = 'hs1';

/** An Ed25519 key as a JWK (RFC 8037), reduced to the members we use; `d` only when private. */
export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  kid: string;
  x: string;
  d?: string;
}

const JWT_KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Unpadded base64url of exactly 32 bytes, in its one canonical spelling. */
function isBase64Url32Bytes(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(value)) return false;
  const bytes = base64ToBytes(value);
  return bytes?.length === 32 && bytesToBase64Url(bytes) === value;
}

/**
 * Checks one JWK and returns it, or the problem worded to follow the variable's name. The
 * problems never quote the key: the message goes to logs.
 */
function readEd25519Jwk(value: unknown, part: 'private' | 'public'): Ed25519Jwk | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'must be a JSON Web Key object';
  }
  const jwk = value as Record<string, unknown>;
  // The type is checked first, so an RSA or P-256 key gets this message, not one about x or d.
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') {
    return 'must be an Ed25519 key (kty "OKP", crv "Ed25519")';
  }
  if (jwk.alg !== undefined && jwk.alg !== 'EdDSA' && jwk.alg !== 'Ed25519') {
    return 'names an alg other than EdDSA';
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'has a use other than "sig"';
  if (typeof jwk.kid !== 'string' || !JWT_KEY_ID_PATTERN.test(jwk.kid)) {
    return 'needs a kid of 1 to 64 letters, digits, ".", "_" or "-"';
  }
  if (jwk.kid === HMAC_KEY_ID) return `may not use kid "${HMAC_KEY_ID}", which names JWT_SECRET`;
  if (!isBase64Url32Bytes(jwk.x)) return 'needs an "x" of 32 bytes in base64url';
  const publicJwk: Ed25519Jwk = { kty: 'OKP', crv: 'Ed25519', kid: jwk.kid, x: jwk.x };
  if (part === 'public') {
    // A retired private key kept in secrets would be exposure for nothing: verifying needs x.
    return jwk.d === undefined ? publicJwk : 'must hold public keys only, without "d"';
  }
  if (jwk.d === undefined) return 'has no private part "d"';
  if (!isBase64Url32Bytes(jwk.d)) return 'needs a "d" of 32 bytes in base64url';
  return { ...publicJwk, d: jwk.d };
}

/** JSON.parse that answers undefined, which no JWK check accepts, for malformed text. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The caller reports the variable as malformed; the parser's message could quote the key.
    return undefined;
  }
}

/** JWT_SIGNING_KEY is one private JWK; JSON text of an Ed25519 key with its kid. */
const signingKeySchema = z
  .string()
  .max(
    JWT_KEYS_JSON_LENGTH_MAX,
    `JWT_SIGNING_KEY must be at most ${JWT_KEYS_JSON_LENGTH_MAX} characters`,
  )
  .transform((text, context) => {
    const jwk = readEd25519Jwk(parseJson(text), 'private');
    if (typeof jwk === 'string') {
      context.addIssue({ code: 'custom', message: `JWT_SIGNING_KEY ${jwk}` });
      return z.NEVER;
    }
    return jwk;
  });

/** JWT_VERIFY_KEYS is a JSON array of public JWKs, each with its own kid. */
const verifyKeysSchema = z
  .string()
  .max(
    JWT_KEYS_JSON_LENGTH_MAX,
    `JWT_VERIFY_KEYS must be at most ${JWT_KEYS_JSON_LENGTH_MAX} characters`,
  )
  .transform((text, context) => {
    const problem = (message: string) => {
      context.addIssue({ code: 'custom', message: `JWT_VERIFY_KEYS ${message}` });
      return z.NEVER;
    };
    const entries = parseJson(text);
    if (!Array.isArray(entries) || entries.length > JWT_VERIFY_KEYS_MAX) {
      return problem(`must be a JSON array of at most ${JWT_VERIFY_KEYS_MAX} public JWKs`);
    }
    const keys: Ed25519Jwk[] = [];
    for (const [index, entry] of entries.entries()) {
      const jwk = readEd25519Jwk(entry, 'public');
      if (typeof jwk === 'string') return problem(`entry ${index} ${jwk}`);
      if (keys.some((key) => key.kid === jwk.kid)) return problem(`repeats kid "${jwk.kid}"`);
      keys.push(jwk);
    }
    return keys;
  });

const envSchema = z
  .object({
    ENVIRONMENT: z.enum(['development', 'test', 'staging', 'production']),
    CORS_ORIGINS: z.string().default(''),
    JWT_ISSUER: z.string().min(1).max(200),
    JWT_AUDIENCE: z.string().min(1).max(200),
    ACCESS_TOKEN_TTL_SECONDS: seconds('ACCESS_TOKEN_TTL_SECONDS', KV_TTL_SECONDS_MIN),
    REFRESH_TOKEN_TTL_SECONDS: seconds('REFRESH_TOKEN_TTL_SECONDS', KV_TTL_SECONDS_MIN),
    JWT_SECRET: secretBytes('JWT_SECRET').optional(),
    JWT_SIGNING_KEY: signingKeySchema.optional(),
    JWT_VERIFY_KEYS: verifyKeysSchema.optional(),
    FIELD_ENCRYPTION_KEYS: keyRingSchema('FIELD_ENCRYPTION_KEYS', { bytesMin: 32, bytesMax: 32 }),
    FIELD_ENCRYPTION_CURRENT_KEY_ID: z
      .string({ error: 'FIELD_ENCRYPTION_CURRENT_KEY_ID is not set' })
      .trim(),
    BLIND_INDEX_KEY: secretBytes('BLIND_INDEX_KEY').optional(),
    BLIND_INDEX_KEYS: keyRingSchema('BLIND_INDEX_KEYS', { bytesMin: 32, bytesMax: 64 }).optional(),
    BLIND_INDEX_CURRENT_KEY_ID: z.string().trim().optional(),
    // Checked as bytes, kept as the text the operator sends in the Authorization header.
    OPS_API_TOKEN: z
      .string()
      .trim()
      .refine(
        (text) => (base64ToBytes(text)?.length ?? 0) >= SECRET_BYTES_MIN,
        `OPS_API_TOKEN must be base64 of at least ${SECRET_BYTES_MIN} random bytes`,
      )
      .optional(),
    RATE_LIMIT_GENERAL_PER_MINUTE: perMinute(
      'RATE_LIMIT_GENERAL_PER_MINUTE',
      RATE_LIMIT_GENERAL_PER_MINUTE_DEFAULT,
    ),
    RATE_LIMIT_AUTH_PER_MINUTE: perMinute(
      'RATE_LIMIT_AUTH_PER_MINUTE',
      RATE_LIMIT_AUTH_PER_MINUTE_DEFAULT,
    ),
    RATE_LIMIT_MONEY_PER_MINUTE: perMinute(
      'RATE_LIMIT_MONEY_PER_MINUTE',
      RATE_LIMIT_MONEY_PER_MINUTE_DEFAULT,
    ),
  })
  .superRefine(
    (vars, context) => {
      if (vars.JWT_SECRET === undefined && vars.JWT_SIGNING_KEY === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message: 'JWT_SECRET is not set, and neither is JWT_SIGNING_KEY',
        });
      }
      if (vars.BLIND_INDEX_KEY === undefined && vars.BLIND_INDEX_KEYS === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['BLIND_INDEX_KEY'],
          message: 'BLIND_INDEX_KEY is not set, and neither is BLIND_INDEX_KEYS',
        });
      }
    },
    // Runs even when other variables failed, so that an empty env lists this problem too. A value
    // that was given but failed its own check is not undefined here, so it is not reported twice.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

function parseOrigins(text: string): string[] {
  const origins = text
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  for (const origin of origins) {
    // An allowlist entry must be one exact origin: never a wildcard and never "null".
    if (!/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/.test(origin)) {
      throw new ConfigError(`CORS_ORIGINS entry "${origin}" is not an exact http(s) origin`);
    }
  }
  return origins;
}

/**
 * JWT_VERIFY_KEYS without the current signing key. A kid names one key only, so the signing kid
 * with another "x" is refused. The signing key's own public half is allowed and dropped: a
 * rotation done one secret at a time passes through that state (README "Signing keys").
 */
function retiredKeys(signingKey: Ed25519Jwk | undefined, verifyKeys: Ed25519Jwk[]) {
  return verifyKeys.filter((key) => {
    if (key.kid !== signingKey?.kid) return true;
    if (key.x !== signingKey.x) {
      throw new ConfigError('JWT_VERIFY_KEYS holds another key under the kid of JWT_SIGNING_KEY');
    }
    return false;
  });
}

export function parseConfig(env: Env): Config {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    // zod's own messages ("Invalid input: expected string…") do not say which variable failed;
    // the custom ones above already start with its name.
    const problems = result.error.issues
      .map((issue) => {
        const name = String(issue.path[0] ?? '');
        return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
      })
      .join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const vars = result.data;
  const verifyKeys = retiredKeys(vars.JWT_SIGNING_KEY, vars.JWT_VERIFY_KEYS ?? []);
  if (!vars.FIELD_ENCRYPTION_KEYS.has(vars.FIELD_ENCRYPTION_CURRENT_KEY_ID)) {
    throw new ConfigError('FIELD_ENCRYPTION_CURRENT_KEY_ID names no key in FIELD_ENCRYPTION_KEYS');
  }
  const blindIndex = blindIndexRing(vars);
  return {
    environment: vars.ENVIRONMENT,
    corsOrigins: parseOrigins(vars.CORS_ORIGINS),
    jwt: {
      issuer: vars.JWT_ISSUER,
      audience: vars.JWT_AUDIENCE,
      secret: vars.JWT_SECRET ?? null,
      signingKey: vars.JWT_SIGNING_KEY ?? null,
      verifyKeys,
      accessTtlSeconds: vars.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: vars.REFRESH_TOKEN_TTL_SECONDS,
    },
    fieldEncryption: {
      currentKeyId: vars.FIELD_ENCRYPTION_CURRENT_KEY_ID,
      keys: vars.FIELD_ENCRYPTION_KEYS,
    },
    blindIndex,
    opsApiToken: vars.OPS_API_TOKEN ?? null,
    rateLimits: {
      generalPerMinute: vars.RATE_LIMIT_GENERAL_PER_MINUTE,
      authPerMinute: vars.RATE_LIMIT_AUTH_PER_MINUTE,
      moneyPerMinute: vars.RATE_LIMIT_MONEY_PER_MINUTE,
    },
  };
}

/**
 * BLIND_INDEX_KEYS with BLIND_INDEX_CURRENT_KEY_ID, or else the single BLIND_INDEX_KEY as a ring
 * of one key, `b0`. With the ring set the single key is ignored, so that moving to the ring
 * takes one secret at a time (docs/key-management.md, "Blind index keys").
 */
function blindIndexRing(vars: {
  BLIND_INDEX_KEY?: Uint8Array | undefined;
  BLIND_INDEX_KEYS?: Map<string, Uint8Array> | undefined;
  BLIND_INDEX_CURRENT_KEY_ID?: string | undefined;
}): KeyRing {
  if (vars.BLIND_INDEX_KEYS) {
    const currentKeyId = vars.BLIND_INDEX_CURRENT_KEY_ID ?? '';
    if (!vars.BLIND_INDEX_KEYS.has(currentKeyId)) {
      throw new ConfigError('BLIND_INDEX_CURRENT_KEY_ID names no key in BLIND_INDEX_KEYS');
    }
    return { currentKeyId, keys: vars.BLIND_INDEX_KEYS };
  }
  assert(vars.BLIND_INDEX_KEY, 'the schema refuses an env without any blind index key');
  return {
    currentKeyId: LEGACY_BLIND_INDEX_KEY_ID,
    keys: new Map([[LEGACY_BLIND_INDEX_KEY_ID, vars.BLIND_INDEX_KEY]]),
  };
}

const cache = new WeakMap<object, Config>();

/** The parsed configuration for this env, parsed once per isolate. Throws ConfigError. */
export function getConfig(env: Env): Config {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env);
    cache.set(env, config);
  }
  return config;
}

/** The public keys of this config as a JWK Set (RFC 7517 §5), for /.well-known/jwks.json. */
export function publicJwks(config: Config) {
  const { signingKey, verifyKeys } = config.jwt;
  const keys = signingKey ? [signingKey, ...verifyKeys] : verifyKeys;
  // Members are picked one by one so that "d" can never reach the response.
  return keys.map(({ kty, crv, x, kid }) => ({ kty, crv, x, kid, alg: 'EdDSA', use: 'sig' }));
}
