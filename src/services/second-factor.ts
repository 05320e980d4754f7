import { and, eq, inArray, isNull, lt } from 'drizzle-orm';
import { type FieldContext } from '../crypto/fields';
import { normalizeRecoveryCode, recoveryCodeHashCandidates } from '../crypto/recovery-codes';
import { matchTotpStep, totpSecretFromBase32 } from '../crypto/totp';
import { mfaFactors, mfaRecoveryCodes, type AccountHolderRow } from '../db/schema';
import { TooManyRequestsError } from '../errors';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import { openHolderField } from './data-keys';
import type { ServiceDeps } from './deps';

/**
 * Checking and spending a second factor, shared by the MFA login step and by turning MFA off.
 * Replay protection and single use rest on conditional UPDATEs in D1, which is strongly
 * consistent; KV is never used for them (its writes are eventually consistent and its TTLs are
 * at least 60 s, longer than a code lives).
 */

export type SecondFactorMatch =
  | { ok: true; kind: 'totp'; step: number }
  | { ok: true; kind: 'recovery_code'; codeId: string }
  | { ok: false; reason: string };

/** Where the confirmed TOTP secret is encrypted: the context is bound into the ciphertext. */
export function secretContext(holderId: string): FieldContext {
  return { table: 'mfa_factors', column: 'secret', rowId: holderId };
}

/**
 * Failed second-factor attempts per holder, counted by the same Durable Object class as failed
 * passwords but under its own name: a correct password clears the password counter, and must
 * not also clear the count of wrong codes, or a holder of the password could guess codes
 * forever, a few per login. Five wrong codes in 15 minutes lock the holder's codes for 15.
 */
export function mfaThrottleFor(deps: ServiceDeps, holderId: string) {
  return deps.env.LOGIN_THROTTLE.get(deps.env.LOGIN_THROTTLE.idFromName(`mfa:${holderId}`));
}

export type MfaThrottle = ReturnType<typeof mfaThrottleFor>;

/** The 429 for a holder locked after repeated wrong codes. */
export function mfaLockedOut(retryAfterSeconds: number): TooManyRequestsError {
  return new TooManyRequestsError(
    'Too many wrong codes for this account. Try again later.',
    retryAfterSeconds,
  );
}

/** Counts one wrong code toward the holder's lockout, and logs why it was wrong. */
export async function recordSecondFactorFailure(
  deps: ServiceDeps,
  input: { throttle: MfaThrottle; holderId: string; reason: string },
): Promise<void> {
  const after = await input.throttle.recordFailure(deps.nowMs);
  log('info', 'mfa_failed', {
    requestId: deps.requestId,
    holderId: input.holderId,
    reason: input.reason,
  });
  if (after.lockedForSeconds > 0)
    log('warn', 'mfa_locked', { requestId: deps.requestId, holderId: input.holderId });
}

/**
 * Checks a code against the holder's active factor without spending it: a 6-digit code as
 * TOTP, anything else as a recovery code. A TOTP code whose step is not after the last step
 * used is refused, so a code seen once (over a shoulder, in a proxy log) cannot be replayed
 * within its 90-second acceptance window.
 */
export async function matchSecondFactor(
  deps: ServiceDeps,
  holder: AccountHolderRow,
  code: string,
): Promise<SecondFactorMatch> {
  const factor = await deps.db
    .select()
    .from(mfaFactors)
    .where(eq(mfaFactors.holderId, holder.id))
    .get();
  if (!holder.mfaEnabled || !factor?.secretCiphertext) return { ok: false, reason: 'mfa_off' };

  if (/^\d{6}$/.test(code)) {
    const base32 = await openHolderField(deps, {
      holderId: holder.id,
      context: secretContext(holder.id),
      stored: factor.secretCiphertext,
    });
    const step = matchTotpStep(totpSecretFromBase32(base32), code, deps.nowMs);
    if (step === null) return { ok: false, reason: 'wrong_totp' };
    if (step <= factor.lastStep) return { ok: false, reason: 'replayed_totp' };
    return { ok: true, kind: 'totp', step };
  }

  const normalizedCode = normalizeRecoveryCode(code);
  if (normalizedCode === null) return { ok: false, reason: 'malformed_code' };
  const codeHashes = await recoveryCodeHashCandidates(deps.config.blindIndex, {
    holderId: holder.id,
    normalizedCode,
  });
  const row = await deps.db
    .select({ id: mfaRecoveryCodes.id })
    .from(mfaRecoveryCodes)
    .where(
      and(
        eq(mfaRecoveryCodes.holderId, holder.id),
        inArray(mfaRecoveryCodes.codeHash, codeHashes),
        isNull(mfaRecoveryCodes.usedAt),
      ),
    )
    .get();
  return row
    ? { ok: true, kind: 'recovery_code', codeId: row.id }
    : { ok: false, reason: 'wrong_recovery_code' };
}

/** Spends a matched code with a conditional UPDATE; false when a concurrent use won. */
export async function spendSecondFactor(
  deps: ServiceDeps,
  holderId: string,
  match: SecondFactorMatch & { ok: true },
): Promise<boolean> {
  const now = toIso(deps.nowMs);
  if (match.kind === 'totp') {
    const raised = await deps.db
      .update(mfaFactors)
      .set({ lastStep: match.step, updatedAt: now })
      .where(and(eq(mfaFactors.holderId, holderId), lt(mfaFactors.lastStep, match.step)))
      .returning({ holderId: mfaFactors.holderId });
    return raised.length === 1;
  }
  const used = await deps.db
    .update(mfaRecoveryCodes)
    .set({ usedAt: now, updatedAt: now })
    .where(and(eq(mfaRecoveryCodes.id, match.codeId), isNull(mfaRecoveryCodes.usedAt)))
    .returning({ id: mfaRecoveryCodes.id });
  return used.length === 1;
}
