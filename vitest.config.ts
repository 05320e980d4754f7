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
  OPS_API_TOKEN: 'dGVzdC1vbmx5LW9wcy1hcGktdG9rZW4tMzItYnl0ZXMtbG9uZyEh',
};

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: { ...TEST_SECRETS, TEST_MIGRATIONS: await readD1Migrations('./migrations') },
      },
    })),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 30_000,
  },
});
