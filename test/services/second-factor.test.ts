import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { decryptField, FieldDecryptionError } from '../../src/crypto/fields';
import { getDb } from '../../src/db/client';
import type { ServiceDeps } from '../../src/services/deps';
import { getHolder } from '../../src/services/holders';
import {
  matchSecondFactor,
  secretContext,
  spendSecondFactor,
} from '../../src/services/second-factor';
import { currentCode, enrolledHolder, STEP_MS, type Enrolled } from '../mfa-helpers';
import { holderFieldKeys } from '../keys';

/**
 * The conditional UPDATEs behind "each code works once", driven directly: two requests that
 * both matched a code before either spent it are the race the HTTP tests cannot force.
 */

function depsAt(nowMs: number): ServiceDeps {
  return {
    db: getDb(env.DB),
    env,
    config: getConfig(env),
    blocklist: env.REVOKED_TOKENS,
    nowMs,
    requestId: 'test-request',
    clientIp: null,
    defer: () => undefined,
  };
}

async function bothMatch(holder: Enrolled, code: string) {
  const deps = depsAt(holder.clock.nowMs());
  const row = await getHolder(deps, holder.holderId);
  const first = await matchSecondFactor(deps, row, code);
  const second = await matchSecondFactor(deps, row, code);
  if (!first.ok || !second.ok) throw new Error(`expected both to match: ${JSON.stringify(first)}`);
  return { deps, first, second };
}

describe('spendSecondFactor', () => {
  it('spends a TOTP code matched twice only once', async () => {
    const holder = await enrolledHolder();
    holder.clock.advanceMs(STEP_MS);
    const { deps, first, second } = await bothMatch(holder, currentCode(holder));
    expect(first).toEqual(second);

    expect(await spendSecondFactor(deps, holder.holderId, first)).toBe(true);
    expect(await spendSecondFactor(deps, holder.holderId, second)).toBe(false);
  });

  it('spends a recovery code matched twice only once', async () => {
    const holder = await enrolledHolder();
    const { deps, first, second } = await bothMatch(holder, holder.recoveryCodes[0]!);
    expect(first.ok && first.kind).toBe('recovery_code');

    expect(await spendSecondFactor(deps, holder.holderId, first)).toBe(true);
    expect(await spendSecondFactor(deps, holder.holderId, second)).toBe(false);
  });
});

describe('matchSecondFactor', () => {
  it('names why a code failed, for the logs', async () => {
    const holder = await enrolledHolder();
    const deps = depsAt(holder.clock.nowMs());
    const row = await getHolder(deps, holder.holderId);
    const reasons = [];
    for (const code of ['000000', holder.enableCode, 'AAAAA-AAAAA', 'AAAA']) {
      const match = await matchSecondFactor(deps, row, code);
      reasons.push(match.ok ? 'ok' : match.reason);
    }
    expect(reasons).toEqual([
      'wrong_totp',
      'replayed_totp',
      'wrong_recovery_code',
      'malformed_code',
    ]);
  });
});

describe('the stored TOTP secret', () => {
  it('decrypts to the secret from setup only in its own column context', async () => {
    const holder = await enrolledHolder();
    const row = await env.DB.prepare(
      'SELECT secret_ciphertext FROM mfa_factors WHERE holder_id = ?',
    )
      .bind(holder.holderId)
      .first<{ secret_ciphertext: string }>();
    const ciphertext = row?.secret_ciphertext as string;
    const ring = await holderFieldKeys(holder.holderId);

    expect(await decryptField(ring, secretContext(holder.holderId), ciphertext)).toBe(
      holder.secret,
    );
    const moved = { ...secretContext(holder.holderId), column: 'unconfirmed_secret' };
    await expect(decryptField(ring, moved, ciphertext)).rejects.toThrow(FieldDecryptionError);
  });
});
