import { createApp } from './app';
import type { Env } from './env';
import { runScheduled } from './scheduled';

export { AccountLedger } from './durable/account-ledger';
export { AuditLog } from './durable/audit-log';
export { LoginThrottle } from './durable/login-throttle';
export { RateLimiter } from './durable/rate-limiter';

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: runScheduled,
} satisfies ExportedHandler<Env>;
