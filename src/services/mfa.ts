import { and, eq, exists, sql } from 'drizzle-orm';
import { encryptField, type FieldContext, type HolderDataKey } from '../crypto/fields';
import { verifyPassword } from '../crypto/passwords';
import { hashRecoveryCode, newRecoveryCode, normalizeRecoveryCode } from '../crypto/recovery-codes';
import { matchTotpStep, newTotpSecret, totpKeyUri, totpSecretFromBase32 } from '../crypto/totp';
import { accountHolders, mfaChallenges, mfaFactors, mfaRecoveryCodes } from '../db/schema';
import { AuthenticationError, BusinessRuleError, ConflictError, UnavailableError } from '../errors';
import { assert } from '../lib/assert';
import { newId } from '../lib/ids';
import { log } from '../lib/log';
import { MFA_ENROLMENT_SIGN_IN_AGE_SECONDS_MAX } from '../lib/limits';
import { toIso } from '../lib/time';
import { recordAuditEvent } from './audit';
import {
  ensureDataKey,
  isDataKeyCurrent,
  isDataKeyStillCurrent,
  openHolderField,
} from './data-keys';
import { notifyOwner } from './notifications';
import { claimReauthAttempt, requireRecentSignIn, settleReauthAttempt } from './reauth';
import type { ServiceDeps } from './deps';
import { getHolder } from './holders';
import {
  matchSecondFactor,
  mfaLockedOut,
  mfaThrottleFor,
  recordSecondFactorFailure,
  secretContext,
  spendSecondFactor,
} from './second-factor';

/**
 * TOTP multi-factor authentication for a signed-in holder: setup, confirmation and removal.
 * The login step is in mfa-login.ts; checking a code is in second-factor.ts.
 */

export const MFA_ISSUER = 'Invisible Bank';
export const RECOVERY_CODES_PER_HOLDER = 10;

export interface TotpSetup {
  secret: string;
  otpauth_uri: string;
}

function unconfirmedSecretContext(holderId: string): FieldContext {
  return { table: 'mfa_factors', column: 'unconfirmed_secret', rowId: holderId };
}

/**
 * Starts TOTP setup: draws a 20-byte secret and keeps it, encrypted, as unconfirmed until
 * enableTotp sees a code made from it. A second setup replaces an unconfirmed secret. The
 * answer carries the secret and the holder's email (as the key URI label) and must never be
 * logged. Throws ConflictError (409) while MFA is already on.
 */
export async function startTotpSetup(
  deps: ServiceDeps,
  input: { holderId: string; sessionId: string },
): Promise<TotpSetup> {
  const holder = await getHolder(deps, input.holderId);
  if (holder.mfaEnabled) throw mfaAlreadyEnabled();
  await requireRecentSignIn(deps, input, MFA_ENROLMENT_SIGN_IN_AGE_SECONDS_MAX);

  const secret = newTotpSecret();
  // Two tries: the only other reason for the guarded upsert to write nothing is a data-key
  // replacement that committed in between, after which the second try uses the new key.
  let isWritten = false;
  for (let attempt = 0; attempt < 2 && !isWritten; attempt++) {
    const dataKey = await ensureDataKey(deps, holder.id);
    const ciphertext = await encryptField(
      dataKey,
      unconfirmedSecretContext(holder.id),
      secret.base32,
    );
    const now = toIso(deps.nowMs);
    // The upsert refuses to touch a confirmed factor, even one confirmed since the read above,
    // and writes nothing once the data key that sealed the secret has been replaced.
    const written = await deps.db.all(sql`
      INSERT INTO mfa_factors (holder_id, secret_ciphertext, unconfirmed_secret_ciphertext,
        last_step, created_at, updated_at)
      SELECT ${holder.id}, NULL, ${ciphertext}, 0, ${now}, ${now}
       WHERE ${isDataKeyCurrent(dataKey)}
      ON CONFLICT (holder_id) DO UPDATE
         SET unconfirmed_secret_ciphertext = excluded.unconfirmed_secret_ciphertext,
             updated_at = excluded.updated_at
       WHERE mfa_factors.secret_ciphertext IS NULL AND ${isDataKeyCurrent(dataKey)}
      RETURNING holder_id`);
    isWritten = written.length === 1;
    if (!isWritten && (await isDataKeyStillCurrent(deps, dataKey))) throw mfaAlreadyEnabled();
  }
  if (!isWritten) throw dataKeyBusy();

  await recordAuditEvent(deps, {
    type: 'mfa_setup_started',
    outcome: 'success',
    holderId: holder.id,
    sessionId: input.sessionId,
  });
  return {
    secret: secret.base32,
    otpauth_uri: totpKeyUri({ secretBytes: secret.bytes, issuer: MFA_ISSUER, label: holder.email }),
  };
}

function mfaAlreadyEnabled(): ConflictError {
  return new ConflictError('mfa-already-enabled', 'Multi-factor authentication is already on.');
}

/**
 * Confirms setup with a code from the app: the secret becomes the active one, MFA is switched
 * on and ten recovery codes are drawn. The codes are returned this once and stored only as
 * keyed hashes. The confirming code counts as used. Throws ConflictError (409) without an
 * unconfirmed secret, BusinessRuleError `invalid-mfa-code` (422) for a wrong code.
 */
export async function enableTotp(
  deps: ServiceDeps,
  input: { holderId: string; sessionId: string; code: string },
): Promise<{ recovery_codes: string[] }> {
  await requireRecentSignIn(deps, input, MFA_ENROLMENT_SIGN_IN_AGE_SECONDS_MAX);
  const factor = await deps.db
    .select()
    .from(mfaFactors)
    .where(eq(mfaFactors.holderId, input.holderId))
    .get();
  const unconfirmed = factor?.unconfirmedSecretCiphertext;
  if (!unconfirmed) throw setupNotStarted();

  const dataKey = await ensureDataKey(deps, input.holderId);
  const base32 = await openHolderField(deps, {
    holderId: input.holderId,
    context: unconfirmedSecretContext(input.holderId),
    stored: unconfirmed,
    dataKey,
  });
  const step = matchTotpStep(totpSecretFromBase32(base32), input.code, deps.nowMs);
  if (step === null) {
    await recordAuditEvent(deps, {
      type: 'mfa_enabled',
      outcome: 'failure',
      holderId: input.holderId,
      sessionId: input.sessionId,
    });
    throw new BusinessRuleError(
      'invalid-mfa-code',
      'Invalid MFA code',
      'The code does not match the secret from setup. Check the time on the device.',
    );
  }

  // Re-encrypted rather than copied: the column is part of the ciphertext's bound context.
  const secretCiphertext = await encryptField(dataKey, secretContext(input.holderId), base32);
  const codes = Array.from({ length: RECOVERY_CODES_PER_HOLDER }, newRecoveryCode);
  const confirmed = await confirmFactor(deps, {
    holderId: input.holderId,
    unconfirmedCiphertext: unconfirmed,
    secretCiphertext,
    step,
    codeHashes: await hashCodes(deps, input.holderId, codes),
    dataKey,
  });
  if (!confirmed) {
    throw (await isDataKeyStillCurrent(deps, dataKey)) ? setupNotStarted() : dataKeyBusy();
  }

  log('info', 'mfa_enabled', { requestId: deps.requestId, holderId: input.holderId });
  await recordAuditEvent(deps, {
    type: 'mfa_enabled',
    outcome: 'success',
    holderId: input.holderId,
    sessionId: input.sessionId,
  });
  notifyOwner(deps, 'mfa_enabled', { holderId: input.holderId });
  return { recovery_codes: codes };
}

/** A data-key replacement committed during the request; the same request will work again. */
function dataKeyBusy(): UnavailableError {
  return new UnavailableError('The request met a key change; send it again.', {
    reason: 'data_key_replaced',
    retryAfterSeconds: 1,
  });
}

function setupNotStarted(): ConflictError {
  return new ConflictError(
    'mfa-setup-required',
    'There is no TOTP setup to confirm. Start one with POST /auth/mfa/totp/setup.',
  );
}

function hashCodes(deps: ServiceDeps, holderId: string, codes: string[]): Promise<string[]> {
  return Promise.all(
    codes.map((code) => {
      const normalizedCode = normalizeRecoveryCode(code);
      assert(normalizedCode !== null, 'a drawn recovery code is well formed');
      return hashRecoveryCode(deps.config.blindIndex, { holderId, normalizedCode });
    }),
  );
}

/**
 * One D1 batch (one transaction): promote the secret, switch MFA on, replace the recovery
 * codes. A batch cannot stop halfway on a condition, so every statement after the first is
 * guarded by "the active secret is the ciphertext this call made". That ciphertext has a fresh
 * random IV, so only the call whose first statement won writes anything else. Returns false
 * when another call changed the unconfirmed secret first.
 */
async function confirmFactor(
  deps: ServiceDeps,
  input: {
    holderId: string;
    unconfirmedCiphertext: string;
    secretCiphertext: string;
    step: number;
    codeHashes: string[];
    dataKey: HolderDataKey;
  },
): Promise<boolean> {
  const now = toIso(deps.nowMs);
  const isWinner = exists(
    deps.db
      .select({ holderId: mfaFactors.holderId })
      .from(mfaFactors)
      .where(
        and(
          eq(mfaFactors.holderId, input.holderId),
          eq(mfaFactors.secretCiphertext, input.secretCiphertext),
        ),
      ),
  );
  const [promoted] = await deps.db.batch([
    deps.db
      .update(mfaFactors)
      .set({
        secretCiphertext: input.secretCiphertext,
        unconfirmedSecretCiphertext: null,
        lastStep: input.step,
        updatedAt: now,
      })
      .where(
        and(
          eq(mfaFactors.holderId, input.holderId),
          eq(mfaFactors.unconfirmedSecretCiphertext, input.unconfirmedCiphertext),
          isDataKeyCurrent(input.dataKey),
        ),
      )
      .returning({ holderId: mfaFactors.holderId }),
    deps.db
      .update(accountHolders)
      .set({ mfaEnabled: true, updatedAt: now })
      .where(and(eq(accountHolders.id, input.holderId), isWinner)),
    deps.db
      .delete(mfaRecoveryCodes)
      .where(and(eq(mfaRecoveryCodes.holderId, input.holderId), isWinner)),
    // The columns follow the table's order in schema.ts, which drizzle lists in the INSERT.
    ...input.codeHashes.map((codeHash) =>
      deps.db.insert(mfaRecoveryCodes).select(
        sql`SELECT ${newId(deps.nowMs)}, ${input.holderId}, ${codeHash}, NULL, ${now}, ${now}
            WHERE ${isWinner}`,
      ),
    ),
  ]);
  return promoted.length === 1;
}

/**
 * Turns MFA off: needs the password and a current code (TOTP or recovery), and then deletes
 * the secret, the recovery codes and any open login challenges. Wrong password or code: 401,
 * the same for both, counted toward the session's re-authentication limit; a wrong code with
 * the right password also counts toward the wrong-code lockout (429). MFA already off: 409.
 */
export async function disableTotp(
  deps: ServiceDeps,
  input: { holderId: string; sessionId: string; password: string; code: string },
): Promise<void> {
  const holder = await getHolder(deps, input.holderId);
  if (!holder.mfaEnabled) {
    throw new ConflictError('mfa-not-enabled', 'Multi-factor authentication is not on.');
  }
  const throttle = mfaThrottleFor(deps, holder.id);
  const { lockedForSeconds } = await throttle.check(deps.nowMs);
  if (lockedForSeconds > 0) throw mfaLockedOut(lockedForSeconds);

  const session = { sessionId: input.sessionId, holderId: holder.id };
  const attempts = await claimReauthAttempt(deps, session);
  // Both are checked before either is acted on, and a code is spent only with the right
  // password, so a wrong password cannot burn a recovery code.
  const isPasswordRight = verifyPassword(holder.passwordHash, input.password);
  const match = await matchSecondFactor(deps, holder, input.code);
  const isSpent = isPasswordRight && match.ok && (await spendSecondFactor(deps, holder.id, match));
  const failure = isSpent
    ? null
    : !isPasswordRight
      ? 'wrong_password'
      : match.ok
        ? 'code_raced'
        : match.reason;
  if (failure !== null) {
    // Only a code sent with the right password is a guess at the second factor. A wrong
    // password is the session's to count (reauth.ts); counted here too, it would let a stolen
    // access token lock the owner's MFA logins.
    if (isPasswordRight) {
      await recordSecondFactorFailure(deps, { throttle, holderId: holder.id, reason: failure });
    }
    await recordAuditEvent(deps, {
      type: 'mfa_disabled',
      outcome: 'failure',
      holderId: holder.id,
      sessionId: input.sessionId,
    });
  }
  await settleReauthAttempt(deps, session, { isRight: isSpent, attempts });
  if (failure !== null) {
    throw new AuthenticationError('The password or the code is wrong.', { reason: failure });
  }

  const now = toIso(deps.nowMs);
  await deps.db.batch([
    deps.db.delete(mfaFactors).where(eq(mfaFactors.holderId, holder.id)),
    deps.db.delete(mfaRecoveryCodes).where(eq(mfaRecoveryCodes.holderId, holder.id)),
    deps.db.delete(mfaChallenges).where(eq(mfaChallenges.holderId, holder.id)),
    deps.db
      .update(accountHolders)
      .set({ mfaEnabled: false, updatedAt: now })
      .where(eq(accountHolders.id, holder.id)),
  ]);
  await throttle.reset();
  log('info', 'mfa_disabled', { requestId: deps.requestId, holderId: holder.id });
  await recordAuditEvent(deps, {
    type: 'mfa_disabled',
    outcome: 'success',
    holderId: holder.id,
    sessionId: input.sessionId,
  });
  notifyOwner(deps, 'mfa_disabled', { email: holder.email });
}
