import { DurableObject } from 'cloudflare:workers';
import { desc } from 'drizzle-orm';
import { getDb } from '../db/client';
import { auditEvents } from '../db/schema';
import type { Env } from '../env';
import { assert } from '../lib/assert';
import { GENESIS_HASH, hashEvent, type UnsealedEvent } from '../lib/audit-chain';
import { toIso } from '../lib/time';

export type AuditAppend = Omit<UnsealedEvent, 'seq' | 'createdAt'> & { nowMs: number };

/** Events written in one D1 batch at most; the rest wait for the next one. */
const EVENTS_PER_WRITE_MAX = 50;

interface PendingAppend {
  event: AuditAppend;
  resolve: (result: { seq: number }) => void;
  reject: (error: unknown) => void;
}

/**
 * The single writer of the audit chain (one object, named "chain"). Appends that arrive while
 * a write is under way are gathered and written together in the next D1 batch (group commit),
 * each hashed over the one before it, so the chain costs one tip read and one batch per group
 * rather than per event. The tip is read from D1 for every group rather than kept in memory,
 * so a restarted object, or a database restored to an earlier point, continues the chain that
 * is actually stored instead of forking it.
 *
 * LIMITATION: one object writes every audit event in the bank. Group commit keeps that to a
 * few batches a second under load, but a single D1 database and a single object still bound
 * the rate; sharding the chain by holder would lift it at the cost of one chain per shard.
 */
export class AuditLog extends DurableObject<Env> {
  #pending: PendingAppend[] = [];
  #isWriting = false;

  append(event: AuditAppend): Promise<{ seq: number }> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ event, resolve, reject });
      if (!this.#isWriting) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#isWriting = true;
    try {
      while (this.#pending.length > 0) {
        const group = this.#pending.splice(0, EVENTS_PER_WRITE_MAX);
        try {
          const seqs = await this.#write(group.map((pending) => pending.event));
          group.forEach((pending, index) => pending.resolve({ seq: seqs[index] ?? 0 }));
        } catch (error) {
          for (const pending of group) pending.reject(error);
        }
      }
    } finally {
      this.#isWriting = false;
    }
  }

  async #write(events: AuditAppend[]): Promise<number[]> {
    const db = getDb(this.env.DB);
    const last = await db
      .select({ seq: auditEvents.seq, hash: auditEvents.hash })
      .from(auditEvents)
      .orderBy(desc(auditEvents.seq))
      .limit(1)
      .get();
    let tip = last ?? { seq: 0, hash: GENESIS_HASH };
    const rows = [];
    for (const event of events) {
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
      const hash = await hashEvent(tip.hash, unsealed);
      rows.push({ ...unsealed, prevHash: tip.hash, hash, updatedAt: createdAt });
      tip = { seq: unsealed.seq, hash };
    }
    const [first, ...rest] = rows.map((row) => db.insert(auditEvents).values(row));
    assert(first, 'a write has at least one event');
    // seq is the primary key: were a second writer ever to race this one, the batch fails
    // as a whole instead of forking the chain.
    await db.batch([first, ...rest]);
    return rows.map((row) => row.seq);
  }
}
