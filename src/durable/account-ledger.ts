import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';

/** Serializes every debit of one account. Filled in by the money path. */
export class AccountLedger extends DurableObject<Env> {}
