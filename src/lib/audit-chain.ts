/**
 * The audit hash chain, shared by the writer (AuditLog) and the verifier (npm run
 * audit:verify). Each event's hash covers the previous event's hash and every field of its
 * own, so changing, removing or reordering any stored row breaks every link after it.
 */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedEvent {
  seq: number;
  id: string;
  holderId: string | null;
  sessionId: string | null;
  subjectId: string | null;
  type: string;
  outcome: 'success' | 'failure';
  ip: string | null;
  createdAt: string;
  prevHash: string;
  hash: string;
}

export type UnsealedEvent = Omit<ChainedEvent, 'hash' | 'prevHash'>;

/** The exact bytes that are hashed: a JSON array, so no field can bleed into the next. */
function canonical(prevHash: string, event: UnsealedEvent): string {
  return JSON.stringify([
    prevHash,
    event.seq,
    event.id,
    event.holderId,
    event.sessionId,
    event.subjectId,
    event.type,
    event.outcome,
    event.ip,
    event.createdAt,
  ]);
}

export async function hashEvent(prevHash: string, event: UnsealedEvent): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(canonical(prevHash, event)),
  );
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export type ChainBreak =
  | { seq: number; problem: 'sequence_gap'; expectedSeq: number }
  | { seq: number; problem: 'prev_hash_mismatch' }
  | { seq: number; problem: 'hash_mismatch' };

/**
 * Walks events in stored order from the first and returns the first broken link, or null.
 * `startAfter` lets a long chain be checked in pages: the last verified seq and hash.
 */
export async function findChainBreak(
  events: readonly ChainedEvent[],
  startAfter: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH },
): Promise<ChainBreak | null> {
  let previous = startAfter;
  for (const event of events) {
    if (event.seq !== previous.seq + 1) {
      return { seq: event.seq, problem: 'sequence_gap', expectedSeq: previous.seq + 1 };
    }
    if (event.prevHash !== previous.hash) return { seq: event.seq, problem: 'prev_hash_mismatch' };
    if ((await hashEvent(event.prevHash, event)) !== event.hash) {
      return { seq: event.seq, problem: 'hash_mismatch' };
    }
    previous = { seq: event.seq, hash: event.hash };
  }
  return null;
}
