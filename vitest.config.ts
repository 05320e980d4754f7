import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// Fixed, test-only keys: tests are deterministic and never read the local .dev.vars.
const TEST_SECRETS = {
  ENVIRONMENT: 'test',
  CORS_ORIGINS: 'https://app.invisible-bank.test',
  JWT_SECRET: 'dGVzdC1vbmx5LWp3dC1zZWNyZXQtMzItYnl0ZXMtbG9uZyEh',
  FIELD_ENCRYPTION_KEYS:
    'k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8,k0:HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA',
  FIELD_ENCRYPTION_CURRENT_KEY_ID: 'k1',
  BLIND_INDEX_KEY: 'dGVzdC1vbmx5LWJsaW5kLWluZGV4LWtleS0zMi1ieXRlcyE',
};

/**
 * The suite sends every request from one IP and logs in far more often than 5 times a minute,
 * so the shared bindings get quotas it never reaches. test/api/rate-limits.test.ts runs the real
 * quotas on a copy of env, with an IP of its own per test.
 */
const UNREACHED_RATE_LIMITS = {
  RATE_LIMIT_GENERAL_PER_MINUTE: '100000',
  RATE_LIMIT_AUTH_PER_MINUTE: '100000',
  RATE_LIMIT_MONEY_PER_MINUTE: '100000',
};

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          ...TEST_SECRETS,
          ...UNREACHED_RATE_LIMITS,
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
        },
      },
    })),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 30_000,
  },
});
