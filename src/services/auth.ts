import { eq, inArray, sql } from 'drizzle-orm';
import {
  blindIndex,
  blindIndexCandidates,
  currentBlindIndex,
  encryptField,
} from '../crypto/fields';
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  needsRehash,
  verifyPassword,
} from '../crypto/passwords';
import { constraintFailure } from '../db/client';
import { accountHolders, holderDataKeys } from '../db/schema';
import { AuthenticationError, TooManyRequestsError } from '../errors';
import { recordAuditEvent } from './audit';
import { assert } from '../lib/assert';
import { notifyOwner } from './notifications';
import { newId } from '../lib/ids';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import type { ServiceDeps } from './deps';
import { newDataKey } from './data-keys';
import { alreadyRegistered, assertAdult } from './holders';
import { issueMfaChallenge, type MfaChallenge } from './mfa-login';
import { assertPasswordAllowed } from './password-policy';
import { startSession, type TokenPair } from './sessions';

export interface SignupInput {
  name: string;
  email: string;
  password: string;
  ssn: string;
  date_of_birth: string;
  mailing_address: string;
}

export const SSN_INDEX_PURPOSE = 'ssn';

/** Registers an account holder and opens their first session. */
export async function signup(
  deps: ServiceDeps,
  input: SignupInput & { userAgent: string | undefined },
): Promise<TokenPair> {
  assertAdult(input.date_of_birth, deps.nowMs);
  assertPasswordAllowed({ password: input.password, email: input.email, path: 'password' });

  const holderId = newId(deps.nowMs);
  const ssnDigits = input.ssn.replace(/-/g, '');
  const context = { table: 'account_holders', column: 'ssn', rowId: holderId };
  const { dataKey, row: keyRow } = await newDataKey(deps, holderId);
  const ring = deps.config.blindIndex;
  const [ssnCiphertext, ssnIndex, ssnIndexes] = await Promise.all([
    encryptField(dataKey, context, ssnDigits),
    currentBlindIndex(ring, SSN_INDEX_PURPOSE, ssnDigits),
    blindIndexCandidates(ring, SSN_INDEX_PURPOSE, ssnDigits),
  ]);
  const now = toIso(deps.nowMs);
  // UNIQUE (ssn_index) only sees indexes made by the same key. While a blind index key rotates,
  // the same SSN may be stored under an older key, so the insert also checks every form the
  // ring can make, in the same statement: no other write can come between check and insert.
  const isSsnFree = sql`NOT EXISTS (SELECT 1 FROM ${accountHolders}
                          WHERE ${inArray(accountHolders.ssnIndex, ssnIndexes)})`;
  let inserted;
  try {
    // Columns in the table's order in schema.ts, which drizzle lists in the INSERT.
    [inserted] = await deps.db.batch([
      deps.db
        .insert(accountHolders)
        .select(
          sql`SELECT ${holderId}, ${input.name}, ${input.email}, ${hashPassword(input.password)},
                     ${ssnCiphertext}, ${ssnIndex}, ${ssnDigits.slice(-4)}, ${input.date_of_birth},
                     ${input.mailing_address}, 0, ${now}, ${now}, NULL
               WHERE ${isSsnFree}`,
        )
        .returning({ id: accountHolders.id }),
      // The holder id is new, so the holder row exists exactly when the insert above wrote it.
      deps.db.insert(holderDataKeys).select(
        sql`SELECT ${keyRow.holderId}, ${keyRow.wrappedKey}, ${keyRow.kekId}, ${keyRow.version},
                   ${keyRow.createdAt}, ${keyRow.updatedAt}
             WHERE EXISTS (SELECT 1 FROM account_holders WHERE id = ${holderId})`,
      ),
    ]);
  } catch (error) {
    if (constraintFailure(error) === 'unique') throw alreadyRegistered();
    throw error;
  }
  if (inserted.length !== 1) throw alreadyRegistered();
  log('info', 'holder_signed_up', { requestId: deps.requestId, holderId });
  const tokens = await startSession(deps, { holderId, userAgent: input.userAgent });
  await recordAuditEvent(deps, {
    type: 'signup',
    outcome: 'success',
    holderId,
    sessionId: tokens.sessionId,
  });
  return tokens.pair;
}

const LOGIN_REFUSED = 'The email or password is wrong.';
export const LOGIN_THROTTLE_PURPOSE = 'login-email';

/** The failed-login counter for an email, keyed by a keyed hash so the id reveals nothing. */
export async function loginThrottleFor(deps: ServiceDeps, email: string) {
  return deps.env.LOGIN_THROTTLE.get(
    deps.env.LOGIN_THROTTLE.idFromName(await loginThrottleName(deps, email)),
  );
}

/**
 * The name of an email's failed-login counter: a keyed hash under the current blind index key.
 * LIMITATION: after the blind index key rotates, each email gets a new, empty counter, so a
 * lockout in progress ends early (at most LOGIN_FAILURES_MAX more guesses per email per
 * rotation). Counters live 15 minutes, so trying every ring key would buy little.
 */
export async function loginThrottleName(deps: ServiceDeps, email: string): Promise<string> {
  const ring = deps.config.blindIndex;
  const key = ring.keys.get(ring.currentKeyId);
  assert(key, 'the current blind index key id must be in its ring');
  return blindIndex(key, LOGIN_THROTTLE_PURPOSE, email);
}

export function lockedOut(retryAfterSeconds: number): TooManyRequestsError {
  return new TooManyRequestsError(
    'Too many failed logins for this email. Try again later.',
    retryAfterSeconds,
  );
}

/**
 * Checks an email and password and opens a session. An unknown email still costs one Argon2
 * verification, against a dummy hash, and counts toward the same lockout, so neither the
 * answer, its timing nor the lockout tells whether the email is registered. A holder with MFA
 * on gets an MFA challenge instead of tokens, to complete with POST /auth/mfa/verify.
 */
export async function login(
  deps: ServiceDeps,
  input: { email: string; password: string; userAgent: string | undefined },
): Promise<TokenPair | MfaChallenge> {
  const [holder, throttle] = await Promise.all([
    deps.db
      .select({
        id: accountHolders.id,
        passwordHash: accountHolders.passwordHash,
        mfaEnabled: accountHolders.mfaEnabled,
      })
      .from(accountHolders)
      .where(eq(accountHolders.email, input.email))
      .get(),
    loginThrottleFor(deps, input.email),
  ]);
  const holderId = holder?.id ?? null;

  const { lockedForSeconds } = await throttle.check(deps.nowMs);
  if (lockedForSeconds > 0) {
    await recordAuditEvent(deps, { type: 'login_locked', outcome: 'failure', holderId });
    throw lockedOut(lockedForSeconds);
  }

  const isValid = verifyPassword(holder?.passwordHash ?? DUMMY_PASSWORD_HASH, input.password);
  if (!holder || !isValid) {
    const after = await throttle.recordFailure(deps.nowMs);
    log('info', 'login_failed', { requestId: deps.requestId, holderId: holderId ?? undefined });
    await recordAuditEvent(deps, { type: 'login_failed', outcome: 'failure', holderId });
    if (after.lockedForSeconds > 0) {
      await recordAuditEvent(deps, { type: 'login_locked', outcome: 'failure', holderId });
      // Only the failure that starts the lock mails, and only a real holder: after the answer.
      if (holder) notifyOwner(deps, 'login_locked', { email: input.email });
    }
    throw new AuthenticationError(LOGIN_REFUSED, {
      reason: holder ? 'bad_password' : 'unknown_email',
    });
  }

  await throttle.reset();
  if (needsRehash(holder.passwordHash)) {
    await deps.db
      .update(accountHolders)
      .set({ passwordHash: hashPassword(input.password), updatedAt: toIso(deps.nowMs) })
      .where(eq(accountHolders.id, holder.id));
  }
  // The password was right, but the login is not done: the session opens only after the code.
  if (holder.mfaEnabled) return issueMfaChallenge(deps, holder.id);

  log('info', 'login_succeeded', { requestId: deps.requestId, holderId: holder.id });
  const tokens = await startSession(deps, { holderId: holder.id, userAgent: input.userAgent });
  await recordAuditEvent(deps, {
    type: 'login_succeeded',
    outcome: 'success',
    holderId: holder.id,
    sessionId: tokens.sessionId,
  });
  return tokens.pair;
}
