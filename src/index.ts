import { createApp } from './app';
import type { Env } from './env';

export { AccountLedger } from './durable/account-ledger';

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
