import { eq } from 'drizzle-orm';
import { encryptField, blindIndex } from '../crypto/fields';
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  needsRehash,
  verifyPassword,
} from '../crypto/passwords';
import { constraintFailure } from '../db/client';
import { accountHolders } from '../db/schema';
import { AuthenticationError, TooManyRequestsError } from '../errors';
import { recordAuditEvent } from './audit';
import { notifyOwner } from './notifications';
import { newId } from '../lib/ids';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import type { ServiceDeps } from './deps';
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
  const [ssnCiphertext, ssnIndex] = await Promise.all([
    encryptField(deps.config.fieldEncryption, context, ssnDigits),
    blindIndex(deps.config.blindIndexKey, SSN_INDEX_PURPOSE, ssnDigits),
  ]);
  const now = toIso(deps.nowMs);
  try {
    await deps.db.insert(accountHolders).values({
      id: holderId,
      name: input.name,
      email: input.email,
      passwordHash: hashPassword(input.password),
      ssnCiphertext,
      ssnIndex,
      ssnLast4: ssnDigits.slice(-4),
      dateOfBirth: input.date_of_birth,
      mailingAddress: input.mailing_address,
      mfaEnabled: false,
      createdAt: now,
      updatedAt: now,
    });
  } catch (error) {
    if (constraintFailure(error) === 'unique') throw alreadyRegistered();
    throw error;
  }
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
async function loginThrottleFor(deps: ServiceDeps, email: string) {
  const key = await blindIndex(deps.config.blindIndexKey, LOGIN_THROTTLE_PURPOSE, email);
  return deps.env.LOGIN_THROTTLE.get(deps.env.LOGIN_THROTTLE.idFromName(key));
}

function lockedOut(retryAfterSeconds: number): TooManyRequestsError {
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
