import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import { sessions } from '../db/schema';
import { AuthenticationError } from '../errors';
import { REAUTH_ATTEMPTS_PER_SESSION_MAX } from '../lib/limits';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import { recordAuditEvent } from './audit';
import type { ServiceDeps } from './deps';
import { endSession } from './sessions';

/**
 * The limit on re-authentication inside a session: changing the password or the email, turning
 * MFA off and erasure all ask for the password again. A stolen access token must not turn that
 * into a password oracle, and its wrong guesses must not lock the owner out either, so the
 * count belongs to the session, not to the email: the session gets
 * REAUTH_ATTEMPTS_PER_SESSION_MAX wrong answers in a row and the last one ends it. The owner
 * logs in again; the thief has nothing left to guess with.
 *
 * Each attempt is counted in D1 before the password is checked, under a guard that the count
 * is below the limit, so parallel guesses cannot overshoot it; a right answer clears the count.
 */

export interface ReauthSession {
  sessionId: string;
  holderId: string;
}

const SESSION_ENDED_DETAIL =
  'Too many wrong answers to re-authentication: this session has ended. Log in again.';

function sessionEnded(reason: string): AuthenticationError {
  return new AuthenticationError(SESSION_ENDED_DETAIL, { reason, isTokenError: true });
}

/**
 * Counts one attempt, or refuses it (401, the session ended) when the session has none left or
 * is no longer live. Call before checking the password; then call settleReauthAttempt.
 */
export async function claimReauthAttempt(
  deps: ServiceDeps,
  session: ReauthSession,
): Promise<number> {
  const claimed = await deps.db
    .update(sessions)
    .set({ reauthAttempts: sql`${sessions.reauthAttempts} + 1`, updatedAt: toIso(deps.nowMs) })
    .where(
      and(
        eq(sessions.id, session.sessionId),
        eq(sessions.holderId, session.holderId),
        isNull(sessions.revokedAt),
        lt(sessions.reauthAttempts, REAUTH_ATTEMPTS_PER_SESSION_MAX),
      ),
    )
    .returning({ attempts: sessions.reauthAttempts });
  const attempts = claimed[0]?.attempts;
  if (attempts !== undefined) return attempts;
  // Spent by parallel guesses, or ended meanwhile: either way this token is done.
  await endSession(deps, { ...session, reason: 'reauth_failed' });
  throw sessionEnded('reauth_attempts_spent');
}

/**
 * Settles an attempt claimed by claimReauthAttempt. A right answer clears the count. A wrong
 * one that was the session's last ends the session and throws its 401; otherwise it returns,
 * and the caller answers its own "wrong password".
 */
export async function settleReauthAttempt(
  deps: ServiceDeps,
  session: ReauthSession,
  outcome: { isRight: boolean; attempts: number },
): Promise<void> {
  if (outcome.isRight) {
    await deps.db
      .update(sessions)
      .set({ reauthAttempts: 0, updatedAt: toIso(deps.nowMs) })
      .where(and(eq(sessions.id, session.sessionId), eq(sessions.holderId, session.holderId)));
    return;
  }
  if (outcome.attempts < REAUTH_ATTEMPTS_PER_SESSION_MAX) return;
  await endSession(deps, { ...session, reason: 'reauth_failed' });
  log('info', 'reauth_attempts_spent', {
    requestId: deps.requestId,
    holderId: session.holderId,
    sessionId: session.sessionId,
  });
  await recordAuditEvent(deps, {
    type: 'reauth_attempts_spent',
    outcome: 'failure',
    holderId: session.holderId,
    sessionId: session.sessionId,
  });
  throw sessionEnded('reauth_attempts_spent');
}

/** Claims an attempt, runs the check and settles it: true when the answer was right. */
export async function isReauthenticated(
  deps: ServiceDeps,
  session: ReauthSession,
  check: () => boolean | Promise<boolean>,
): Promise<boolean> {
  const attempts = await claimReauthAttempt(deps, session);
  const isRight = await check();
  await settleReauthAttempt(deps, session, { isRight, attempts });
  return isRight;
}

/**
 * Refuses, with the step-up challenge of RFC 9470, a session that signed in (by password, or
 * at signup) more than maxAgeSeconds ago; a refresh does not count as signing in. For changes
 * whose request carries no password to check.
 */
export async function requireRecentSignIn(
  deps: ServiceDeps,
  session: ReauthSession,
  maxAgeSeconds: number,
): Promise<void> {
  const row = await deps.db
    .select({ signedInAt: sessions.createdAt })
    .from(sessions)
    .where(and(eq(sessions.id, session.sessionId), eq(sessions.holderId, session.holderId)))
    .get();
  const signedInMs = row ? Date.parse(row.signedInAt) : Number.NEGATIVE_INFINITY;
  if (deps.nowMs - signedInMs <= maxAgeSeconds * 1000) return;
  throw new AuthenticationError(
    `This change needs a recent sign-in: log in again (within ${maxAgeSeconds / 60} ` +
      'minutes of the change) and retry with the new token.',
    { reason: 'sign_in_too_old', signInMaxAgeSeconds: maxAgeSeconds },
  );
}
