import { applyD1Migrations, env } from 'cloudflare:test';
import { beforeEach } from 'vitest';
import { setLogSink } from '../src/lib/log';

// Each test file starts from the migrations in migrations/, the same SQL wrangler applies.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

/**
 * Log lines the Worker wrote during the current test. The Worker under test runs in this
 * isolate, so replacing the sink captures its logs too and keeps test output readable.
 */
export const capturedLogLines: string[] = [];

setLogSink((line) => capturedLogLines.push(line));

beforeEach(() => {
  capturedLogLines.length = 0;
});
