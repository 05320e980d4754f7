import { and, eq, gt, isNull, ne, sql, type SQL } from 'drizzle-orm';
import { verifyPassword } from '../crypto/passwords';
import {
  accountHolders,
  accounts,
  cards,
  devOutbox,
  holderDataKeys,
  idempotencyKeys,
  mfaChallenges,
  mfaFactors,
  mfaRecoveryCodes,
  passwordResetTokens,
  sessions,
  transactions,
} from '../db/schema';
import { AuthenticationError, BusinessRuleError } from '../errors';
import { assert } from '../lib/assert';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import { recordAuditEvent } from './audit';
import { loginThrottleFor } from './auth';
import type { ServiceDeps } from './deps';
import { getHolder } from './holders';
import {
  matchSecondFactor,
  mfaLockedOut,
  mfaThrottleFor,
  recordSecondFactorFailure,
  spendSecondFactor,
} from './second-factor';
import { claimReauthAttempt, settleReauthAttempt } from './reauth';
import { announceEndedSessions } from './sessions';

/**
 * Erasure of a holder's personal data (DELETE /account-holders/me), by crypto-shredding: the
 * holder's data key is deleted, so every value sealed with it (SSN, card numbers, TOTP secret)
 * is unreadable in this database and in every copy of it, exports and dumps included. Plain
 * personal fields are blanked. The holder row, accounts, transactions, ledger entries and audit
 * events stay, holding ids and amounts only, so the books still balance.
 *
 * LIMITATION: D1 Time Travel keeps a restorable history of the database (documented as 30
 * days), wrapped data key included; for that window a restore to an earlier point brings the
 * holder's data back. Values sealed before envelope encryption (format v1) sit under a ring key,
 * not the data key: they are blanked here, but copies made before erasure stay readable with
 * that ring key until it is retired. Audit events keep the client IP of each event: they are
 * append-only and hash-chained, and kept for security investigation (docs/key-management.md).
 */

const ERASED_REASON = 'holder_erased';
const WRONG_CREDENTIALS = 'The password or the code is wrong.';

function balanceNotZero(): BusinessRuleError {
  return new BusinessRuleError(
    'balance-not-zero',
    'Balance not zero',
    'Every account must have a zero balance before the account holder can be erased.',
  );
}

/**
 * Checks the password (and the second factor when MFA is on), then erases. Every attempt
 * counts toward the session's re-authentication limit (services/reauth.ts) and a wrong code
 * toward the code lockout, so a stolen access token does not give unlimited guesses. Throws
 * AuthenticationError (401), TooManyRequestsError (429, codes locked) or BusinessRuleError
 * `balance-not-zero` (422).
 */
export async function eraseHolder(
  deps: ServiceDeps,
  input: { holderId: string; sessionId: string; password: string; code: string | undefined },
): Promise<void> {
  const holder = await getHolder(deps, input.holderId);
  const codeThrottle = mfaThrottleFor(deps, holder.id);
  if (holder.mfaEnabled) {
    const locked = await codeThrottle.check(deps.nowMs);
    if (locked.lockedForSeconds > 0) throw mfaLockedOut(locked.lockedForSeconds);
  }

  const session = { sessionId: input.sessionId, holderId: holder.id };
  const attempts = await claimReauthAttempt(deps, session);
  const isPasswordRight = verifyPassword(holder.passwordHash, input.password);
  const match = holder.mfaEnabled ? await matchSecondFactor(deps, holder, input.code ?? '') : null;
  const isRight = isPasswordRight && (match === null || match.ok);
  if (!isRight) {
    // As for turning MFA off: only a code sent with the right password counts as a code guess.
    if (isPasswordRight && match && !match.ok) {
      await recordSecondFactorFailure(deps, {
        throttle: codeThrottle,
        holderId: holder.id,
        reason: match.reason,
      });
    }
    await recordErasureAudit(deps, input, 'failure');
  }
  await settleReauthAttempt(deps, session, { isRight, attempts });
  if (!isRight) {
    throw new AuthenticationError(WRONG_CREDENTIALS, { reason: 'erasure_credentials' });
  }

  // Checked before a code is spent, so a refusal costs the holder no recovery code. The batch
  // below checks it again, in the same transaction as the writes.
  if (await hasNonZeroBalance(deps, holder.id)) throw balanceNotZero();
  if (match?.ok && !(await spendSecondFactor(deps, holder.id, match))) {
    await recordErasureAudit(deps, input, 'failure');
    throw new AuthenticationError(WRONG_CREDENTIALS, { reason: 'erasure_code_raced' });
  }

  const ended = await runErasureBatch(deps, { holderId: holder.id, email: holder.email });
  if (ended === null) {
    // Either money arrived since the check, or a concurrent erasure of the same holder won.
    if (await hasNonZeroBalance(deps, holder.id)) throw balanceNotZero();
    // The session this call came with was ended by that erasure: say so, as for any token.
    throw new AuthenticationError('The access token is missing, invalid, expired or revoked.', {
      reason: 'erasure_already_done',
      isTokenError: true,
    });
  }
  // The email is free for a new signup, which must not inherit the old holder's failed logins.
  await (await loginThrottleFor(deps, holder.email)).reset();
  await announceEndedSessions(deps, { holderId: holder.id, ended });
  log('info', 'holder_erased', { requestId: deps.requestId, holderId: holder.id });
  await recordErasureAudit(deps, input, 'success');
}

function recordErasureAudit(
  deps: ServiceDeps,
  input: { holderId: string; sessionId: string },
  outcome: 'success' | 'failure',
): Promise<void> {
  return recordAuditEvent(deps, {
    type: 'holder_erased',
    outcome,
    holderId: input.holderId,
    sessionId: input.sessionId,
  });
}

async function hasNonZeroBalance(deps: ServiceDeps, holderId: string): Promise<boolean> {
  const row = await deps.db
    .select({ id: accounts.id })
    .from(accounts)
    .where(and(eq(accounts.holderId, holderId), ne(accounts.balanceMinor, 0)))
    .limit(1)
    .get();
  return row !== undefined;
}

/** A value sealed under a ring key (v1) survives key deletion, so it is blanked instead. */
function blankIfRingSealed(column: SQL | typeof cards.numberCiphertext): SQL {
  return sql`CASE WHEN substr(${column}, 1, 3) = 'v1.' THEN 'erased' ELSE ${column} END`;
}

/**
 * One D1 batch, so the erasure happens whole or not at all. Every statement is guarded by "no
 * account of the holder has a non-zero balance", evaluated inside the batch's transaction: a
 * deposit that lands after the check above leaves everything untouched and answers 422. The
 * unique columns get placeholders built from the row id, which is no personal data, so the
 * email and SSN are free for a new signup. Returns the sessions it ended, or null when the
 * guards held it back.
 */
async function runErasureBatch(
  deps: ServiceDeps,
  input: { holderId: string; email: string },
): Promise<{ id: string; lastUsedAt: string }[] | null> {
  const { holderId } = input;
  const now = toIso(deps.nowMs);
  const hasNoBalance = sql`NOT EXISTS (SELECT 1 FROM ${accounts}
    WHERE ${accounts.holderId} = ${holderId} AND ${accounts.balanceMinor} <> 0)`;
  const placeholder = `erased:${holderId}`;
  const [erased, ended, ...rest] = await deps.db.batch([
    deps.db
      .update(accountHolders)
      .set({
        name: '',
        email: placeholder,
        passwordHash: 'erased',
        ssnCiphertext: blankIfRingSealed(sql`${accountHolders.ssnCiphertext}`),
        ssnIndex: placeholder,
        ssnLast4: '',
        dateOfBirth: '',
        mailingAddress: '',
        mfaEnabled: false,
        erasedAt: now,
        updatedAt: now,
      })
      .where(and(eq(accountHolders.id, holderId), isNull(accountHolders.erasedAt), hasNoBalance))
      .returning({ id: accountHolders.id }),
    deps.db
      .update(sessions)
      .set({ revokedAt: now, revokedReason: ERASED_REASON, updatedAt: now })
      .where(
        and(
          eq(sessions.holderId, holderId),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, now),
          hasNoBalance,
        ),
      )
      .returning({ id: sessions.id, lastUsedAt: sessions.lastUsedAt }),
    ...closingStatements(deps, { holderId, now, hasNoBalance }),
    ...deletingStatements(deps, { holderId, email: input.email, hasNoBalance }),
  ]);
  assert(rest.length === 11, 'the erasure batch has its thirteen statements');
  return erased.length === 1 ? ended : null;
}

interface ErasureScope {
  holderId: string;
  hasNoBalance: SQL;
}

/** Accounts closed, cards cancelled, free text and user agents blanked; rows kept. */
function closingStatements(deps: ServiceDeps, scope: ErasureScope & { now: string }) {
  const { holderId, now, hasNoBalance } = scope;
  return [
    deps.db
      .update(sessions)
      .set({ userAgent: null })
      .where(and(eq(sessions.holderId, holderId), hasNoBalance)),
    deps.db
      .update(accounts)
      .set({ status: 'closed', nickname: null, updatedAt: now })
      .where(and(eq(accounts.holderId, holderId), hasNoBalance)),
    // Cards stay, cancelled, for the books. The number index goes: a keyed hash of a number
    // from a space this small is as good as the number to whoever holds the blind key.
    deps.db
      .update(cards)
      .set({
        status: 'cancelled',
        numberCiphertext: blankIfRingSealed(sql`${cards.numberCiphertext}`),
        numberIndex: sql`'erased:' || ${cards.id}`,
        updatedAt: now,
      })
      .where(and(eq(cards.holderId, holderId), hasNoBalance)),
    // Descriptions are free text the holder wrote; amounts, dates and ids stay.
    deps.db
      .update(transactions)
      .set({ description: null })
      .where(and(eq(transactions.holderId, holderId), hasNoBalance)),
  ];
}

/** The data key, the second factor, pending tokens and stored responses: deleted outright. */
function deletingStatements(deps: ServiceDeps, scope: ErasureScope & { email: string }) {
  const { holderId, hasNoBalance } = scope;
  return [
    deps.db.delete(holderDataKeys).where(and(eq(holderDataKeys.holderId, holderId), hasNoBalance)),
    deps.db.delete(mfaFactors).where(and(eq(mfaFactors.holderId, holderId), hasNoBalance)),
    deps.db
      .delete(mfaRecoveryCodes)
      .where(and(eq(mfaRecoveryCodes.holderId, holderId), hasNoBalance)),
    deps.db.delete(mfaChallenges).where(and(eq(mfaChallenges.holderId, holderId), hasNoBalance)),
    deps.db
      .delete(passwordResetTokens)
      .where(and(eq(passwordResetTokens.holderId, holderId), hasNoBalance)),
    // Stored responses of money movements carry descriptions and account numbers; the accounts
    // are closed, so no retry could move money again anyway.
    deps.db
      .delete(idempotencyKeys)
      .where(and(eq(idempotencyKeys.holderId, holderId), hasNoBalance)),
    deps.db.delete(devOutbox).where(and(eq(devOutbox.recipient, scope.email), hasNoBalance)),
  ];
}
