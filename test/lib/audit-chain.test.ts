import { describe, expect, it } from 'vitest';
import {
  findChainBreak,
  GENESIS_HASH,
  hashEvent,
  type ChainedEvent,
  type UnsealedEvent,
} from '../../src/lib/audit-chain';

async function buildChain(length: number): Promise<ChainedEvent[]> {
  const events: ChainedEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq++) {
    const unsealed: UnsealedEvent = {
      seq,
      id: `event-${seq}`,
      holderId: seq % 2 === 0 ? 'holder-a' : null,
      sessionId: null,
      subjectId: null,
      type: seq % 3 === 0 ? 'login_failed' : 'login_succeeded',
      outcome: seq % 3 === 0 ? 'failure' : 'success',
      ip: '203.0.113.7',
      createdAt: `2026-12-03T12:00:0${seq}.000Z`,
    };
    const hash = await hashEvent(prevHash, unsealed);
    events.push({ ...unsealed, prevHash, hash });
    prevHash = hash;
  }
  return events;
}

describe('findChainBreak', () => {
  it('accepts an intact chain and an empty one', async () => {
    expect(await findChainBreak(await buildChain(5))).toBeNull();
    expect(await findChainBreak([])).toBeNull();
  });

  it('finds an edited row at that row', async () => {
    const events = await buildChain(5);
    events[2] = { ...events[2]!, outcome: 'success' };
    expect(await findChainBreak(events)).toEqual({ seq: 3, problem: 'hash_mismatch' });
  });

  it('finds an edited row whose hash was recomputed at the next row', async () => {
    const events = await buildChain(5);
    const edited = { ...events[1]!, ip: '198.51.100.1' };
    edited.hash = await hashEvent(edited.prevHash, edited);
    events[1] = edited;
    expect(await findChainBreak(events)).toEqual({ seq: 3, problem: 'prev_hash_mismatch' });
  });

  it('finds a deleted row as a gap in the sequence', async () => {
    const events = await buildChain(5);
    events.splice(3, 1);
    expect(await findChainBreak(events)).toEqual({
      seq: 5,
      problem: 'sequence_gap',
      expectedSeq: 4,
    });
  });

  it('finds a deleted row even when the later rows were renumbered', async () => {
    const events = await buildChain(5);
    events.splice(1, 1);
    const renumbered = events.map((event, index) => ({ ...event, seq: index + 1 }));
    expect(await findChainBreak(renumbered)).toEqual({ seq: 2, problem: 'prev_hash_mismatch' });
  });

  it('finds two swapped rows', async () => {
    const events = await buildChain(5);
    const swapped = [events[0]!, events[2]!, events[1]!, events[3]!, events[4]!];
    expect(await findChainBreak(swapped)).toEqual({
      seq: 3,
      problem: 'sequence_gap',
      expectedSeq: 2,
    });
  });

  it('finds reordered rows whose seq numbers were swapped too', async () => {
    const events = await buildChain(4);
    const reordered = [
      events[0]!,
      { ...events[2]!, seq: 2 },
      { ...events[1]!, seq: 3 },
      events[3]!,
    ];
    expect(await findChainBreak(reordered)).toEqual({ seq: 2, problem: 'prev_hash_mismatch' });
  });

  it('continues a verification from a checked tip', async () => {
    const events = await buildChain(6);
    const tip = { seq: 3, hash: events[2]!.hash };
    expect(await findChainBreak(events.slice(3), tip)).toBeNull();
    expect(await findChainBreak(events.slice(4), tip)).toEqual({
      seq: 5,
      problem: 'sequence_gap',
      expectedSeq: 4,
    });
  });
});
