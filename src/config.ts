import { z } from 'zod';
import type { Env } from './env';
import { base64ToBytes } from './lib/encoding';
import { KV_TTL_SECONDS_MIN } from './lib/limits';

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
    secret: Uint8Array;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  fieldEncryption: { currentKeyId: string; keys: Map<string, Uint8Array> };
  blindIndexKey: Uint8Array;
}

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

/** FIELD_ENCRYPTION_KEYS is a comma-separated list of `keyId:base64Key`, 32-byte keys. */
const fieldKeysSchema = z
  .string({ error: 'FIELD_ENCRYPTION_KEYS is not set' })
  .transform((text, context) => {
    const keys = new Map<string, Uint8Array>();
    for (const entry of text.split(',')) {
      const [keyId = '', encoded = ''] = entry.trim().split(':');
      const bytes = base64ToBytes(encoded);
      if (!KEY_ID_PATTERN.test(keyId) || bytes?.length !== 32 || keys.has(keyId)) {
        context.addIssue({
          code: 'custom',
          message: 'FIELD_ENCRYPTION_KEYS entries must be keyId:base64 of 32 random bytes',
        });
        return z.NEVER;
      }
      keys.set(keyId, bytes);
    }
    return keys;
  });

const envSchema = z.object({
  ENVIRONMENT: z.enum(['development', 'test', 'staging', 'production']),
  CORS_ORIGINS: z.string().default(''),
  JWT_ISSUER: z.string().min(1).max(200),
  JWT_AUDIENCE: z.string().min(1).max(200),
  ACCESS_TOKEN_TTL_SECONDS: seconds('ACCESS_TOKEN_TTL_SECONDS', KV_TTL_SECONDS_MIN),
  REFRESH_TOKEN_TTL_SECONDS: seconds('REFRESH_TOKEN_TTL_SECONDS', KV_TTL_SECONDS_MIN),
  JWT_SECRET: secretBytes('JWT_SECRET'),
  FIELD_ENCRYPTION_KEYS: fieldKeysSchema,
  FIELD_ENCRYPTION_CURRENT_KEY_ID: z
    .string({ error: 'FIELD_ENCRYPTION_CURRENT_KEY_ID is not set' })
    .trim(),
  BLIND_INDEX_KEY: secretBytes('BLIND_INDEX_KEY'),
});

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
  if (!vars.FIELD_ENCRYPTION_KEYS.has(vars.FIELD_ENCRYPTION_CURRENT_KEY_ID)) {
    throw new ConfigError('FIELD_ENCRYPTION_CURRENT_KEY_ID names no key in FIELD_ENCRYPTION_KEYS');
  }
  return {
    environment: vars.ENVIRONMENT,
    corsOrigins: parseOrigins(vars.CORS_ORIGINS),
    jwt: {
      issuer: vars.JWT_ISSUER,
      audience: vars.JWT_AUDIENCE,
      secret: vars.JWT_SECRET,
      accessTtlSeconds: vars.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlSeconds: vars.REFRESH_TOKEN_TTL_SECONDS,
    },
    fieldEncryption: {
      currentKeyId: vars.FIELD_ENCRYPTION_CURRENT_KEY_ID,
      keys: vars.FIELD_ENCRYPTION_KEYS,
    },
    blindIndexKey: vars.BLIND_INDEX_KEY,
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
