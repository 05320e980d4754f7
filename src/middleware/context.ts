import type { Config } from '../config';
import type { Env } from '../env';
import type { Clock } from '../lib/time';
import type { RatePolicyState } from '../services/rate-limits';
import type { BlocklistStore } from '../services/revocation';

/** What the middleware learns about the caller from a verified access token. */
export interface AuthContext {
  holderId: string;
  sessionId: string;
  tokenId: string;
  expiresAtSeconds: number;
}

export interface AppVariables {
  requestId: string;
  config: Config;
  clock: Clock;
  auth: AuthContext;
  blocklist: BlocklistStore;
  /** Every rate-limit policy this request was counted against so far, for the headers. */
  rateLimits: RatePolicyState[];
  /** Replaces the default Content-Security-Policy for one response (the /docs page). */
  contentSecurityPolicy: string;
  cspNonce: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
