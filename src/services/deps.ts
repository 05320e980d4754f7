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
}
