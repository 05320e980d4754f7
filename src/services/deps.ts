import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Env } from '../env';
import type { BlocklistStore } from './revocation';

/** What every service function is given: no service reads globals or the clock itself. */
export interface ServiceDeps {
  db: Db;
  env: Env;
  config: Config;
  blocklist: BlocklistStore;
  nowMs: number;
  /** The request's id, for every log line a service writes. */
  requestId: string;
  /** The client IP from CF-Connecting-IP only; null when absent (never X-Forwarded-For). */
  clientIp: string | null;
  /** Runs work after the response is sent (waitUntil); errors are the work's own to handle. */
  defer: (work: Promise<unknown>) => void;
}
