import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { unstable_readConfig } from 'wrangler';
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

const DEPLOYED_ENVIRONMENTS = ['staging', 'production'] as const;

/**
 * What wrangler itself resolves for each environment of wrangler.toml (its inheritance rules
 * applied), reduced to plain JSON for test/environments.test.ts, which runs inside workerd and
 * cannot read files.
 */
function describeEnvironments() {
  return [undefined, ...DEPLOYED_ENVIRONMENTS].map((name) => {
    const config = unstable_readConfig({ config: './wrangler.toml', env: name });
    return {
      environment: name ?? 'development',
      workerName: config.name,
      vars: config.vars,
      d1: config.d1_databases.map(
        ({ binding, database_name, database_id }: Record<string, string | undefined>) => ({
          binding,
          name: database_name,
          id: database_id,
        }),
      ),
      kv: config.kv_namespaces.map(({ binding, id }: Record<string, string | undefined>) => ({
        binding,
        id,
      })),
      durableObjects: config.durable_objects.bindings.map(
        ({ name, class_name }: { name: string; class_name: string }) => ({
          name,
          className: class_name,
        }),
      ),
      sendEmail: config.send_email.map(({ name }: { name: string }) => name),
      crons: config.triggers.crons ?? [],
      observability: config.observability?.enabled === true,
      minify: config.minify === true,
      publicUrls: config.workers_dev !== false || config.preview_urls !== false,
    };
  });
}

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          ...TEST_SECRETS,
          ...UNREACHED_RATE_LIMITS,
          TEST_MIGRATIONS: await readD1Migrations('./migrations'),
          TEST_WRANGLER_ENVIRONMENTS: describeEnvironments(),
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
