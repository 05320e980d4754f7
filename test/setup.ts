import { applyD1Migrations, env } from 'cloudflare:test';

// Each test file starts from the migrations in migrations/, the same SQL wrangler applies.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
