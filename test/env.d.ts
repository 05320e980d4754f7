/// <reference types="vite/types/importMeta.d.ts" />
import type { D1Migration } from '@cloudflare/vitest-plugin';
import type { Env as WorkerEnv } from '../src/env';

interface WranglerEnvironment {
  environment: 'development' | 'staging' | 'production';
  workerName: string;
  vars: Record<string, unknown>;
  d1: { binding: string; name: string; id: string }[];
  kv: { binding: string; id: string }[];
  durableObjects: { name: string; className: string }[];
  sendEmail: string[];
  crons: string[];
  observability: boolean;
  minify: boolean;
  /** Whether a *.workers.dev address or preview URLs would answer besides the hostname. */
  publicUrls: boolean;
}

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      /** wrangler.toml's environments as wrangler resolves them; see vitest.config.ts. */
      TEST_WRANGLER_ENVIRONMENTS: WranglerEnvironment[];
    }
  }
}
