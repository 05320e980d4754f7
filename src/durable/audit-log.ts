import { DurableObject } from 'cloudflare:workers';
import { desc } from 'drizzle-orm';
import { getDb } from '../db/client';
import { auditEvents } from '../db/schema';
import type { Env } from '../env';
import { assert } from '../lib/assert';
import { GENESIS_HASH, hashEvent, type UnsealedEvent } from '../lib/audit-chain';
import { toIso } from '../lib/time';

export type AuditAppend = Omit<UnsealedEvent, 'seq' | 'createdAt'> & { nowMs: number };

/**
 * The single writer of the audit chain (one object, named "chain"). Appends are queued so
 * each event is hashed over the one written just before it. The tip is read from D1 on every
 * append rather than kept in memory, so a restarted object, or a database restored to an
 * earlier point, continues the chain that is actually stored instead of forking it.
 *
 * LIMITATION: one object serializes every audit append in the bank, at the cost of one D1
 * read and one insert each, which bounds audited events to a few hundred a second per
 * database; sharding the chain by holder would lift that at the cost of one chain per shard.
 */
export class AuditLog extends DurableObject<Env> {
  #tail: Promise<unknown> = Promise.resolve();

  async append(event: AuditAppend): Promise<{ seq: number }> {
    const run = this.#tail.then(() => this.#write(event));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #write(event: AuditAppend): Promise<{ seq: number }> {
    const db = getDb(this.env.DB);
    const last = await db
      .select({ seq: auditEvents.seq, hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.seq))
      .limit(1)
      .get();
    const tip = last ?? { seq: 0, hash: GENESIS_HASH };
    const createdAt = toIso(event.nowMs);
    const unsealed: UnsealedEvent = {
      seq: tip.seq + 1,
      id: event.id,
      holderId: event.holderId,
      sessionId: event.sessionId,
      subjectId: event.subjectId,
      type: event.type,
      outcome: event.outcome,
      ip: event.ip,
      createdAt,
    };
    assert(Number.isSafeInteger(unsealed.seq) && unsealed.seq > tip.seq, 'the chain advances');
    const hash = await hashEvent(tip.hash, unsealed);
    // seq is the primary key: were a second writer ever to race this one, its insert fails
    // instead of forking the chain.
    await db
      .insert(auditEvents)
      .values({ ...unsealed, prevHash: tip.hash, hash, updatedAt: createdAt });
    return { seq: unsealed.seq };
  }
}
