import { and, eq, gt, isNull } from 'drizzle-orm';
import { hashPassword, verifyPassword } from '../crypto/passwords';
import { accountHolders, passwordResetTokens } from '../db/schema';
import { AuthenticationError, BusinessRuleError } from '../errors';
import { bytesToBase64Url, bytesToHex, utf8 } from '../lib/encoding';
import { newId } from '../lib/ids';
import { PASSWORD_RESET_TOKEN_BYTES, PASSWORD_RESET_TTL_SECONDS } from '../lib/limits';
import { toIso } from '../lib/time';
import { recordAuditEvent } from './audit';
import { loginThrottleName } from './auth';
import type { ServiceDeps } from './deps';
import { getHolder } from './holders';
import { getMailer } from './mailer';
import { notifyOwner } from './notifications';
import { assertPasswordAllowed } from './password-policy';
import { isReauthenticated } from './reauth';
import { endAllSessions } from './sessions';

/** Password change (signed in) and password reset (by a mailed one-time token). */

/** Changes the password of a signed-in holder and ends every other session. */
export async function changePassword(
  deps: ServiceDeps,
  input: { holderId: string; sessionId: string; currentPassword: string; newPassword: string },
): Promise<void> {
  const holder = await getHolder(deps, input.holderId);
  const session = { sessionId: input.sessionId, holderId: holder.id };
  const isRight = await isReauthenticated(deps, session, async () => {
    const isPasswordRight = verifyPassword(holder.passwordHash, input.currentPassword);
    if (!isPasswordRight) {
      await recordAuditEvent(deps, {
        type: 'password_changed',
        outcome: 'failure',
        holderId: holder.id,
        sessionId: input.sessionId,
      });
    }
    return isPasswordRight;
  });
  if (!isRight) {
    throw new AuthenticationError('The current password is wrong.', { reason: 'change_password' });
  }
  assertPasswordAllowed({ password: input.newPassword, email: holder.email, path: 'new_password' });
  await setPassword(deps, holder.id, input.newPassword);
  await endAllSessions(deps, {
    holderId: holder.id,
    exceptSessionId: input.sessionId,
    reason: 'password_changed',
  });
  await recordAuditEvent(deps, {
    type: 'password_changed',
    outcome: 'success',
    holderId: holder.id,
    sessionId: input.sessionId,
  });
  notifyOwner(deps, 'password_changed', { email: holder.email });
}

/**
 * Sets a new password hash and voids every reset token still outstanding for the holder, in one
 * batch: a reset mail sent before the change must not be able to undo it.
 */
async function setPassword(deps: ServiceDeps, holderId: string, password: string): Promise<void> {
  const now = toIso(deps.nowMs);
  await deps.db.batch([
    deps.db
      .update(accountHolders)
      .set({ passwordHash: hashPassword(password), updatedAt: now })
      .where(eq(accountHolders.id, holderId)),
    deps.db
      .update(passwordResetTokens)
      .set({ usedAt: now, updatedAt: now })
      .where(and(eq(passwordResetTokens.holderId, holderId), isNull(passwordResetTokens.usedAt))),
  ]);
}

async function hashResetToken(token: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(token))));
}

/**
 * Starts a reset for an email. The answer is the same whether the email is known or not, and all
 * the work runs after the answer (deps.defer), so timing does not tell either.
 * The token is 32 random bytes, mailed once and stored only as its SHA-256.
 */
export function requestPasswordReset(deps: ServiceDeps, email: string): void {
  // Even the lookup runs after the answer: known and unknown emails then cost the request the
  // same, where a lookup before it would let the timing tell them apart.
  deps.defer(
    (async () => {
      const holder = await deps.db
        .select({ id: accountHolders.id, email: accountHolders.email })
        .from(accountHolders)
        .where(eq(accountHolders.email, email))
        .get();
      if (holder) await sendResetToken(deps, holder);
    })(),
  );
}

async function sendResetToken(
  deps: ServiceDeps,
  holder: { id: string; email: string },
): Promise<void> {
  const token = bytesToBase64Url(
    crypto.getRandomValues(new Uint8Array(PASSWORD_RESET_TOKEN_BYTES)),
  );
  const now = toIso(deps.nowMs);
  await deps.db.insert(passwordResetTokens).values({
    id: newId(deps.nowMs),
    holderId: holder.id,
    tokenHash: await hashResetToken(token),
    expiresAt: toIso(deps.nowMs + PASSWORD_RESET_TTL_SECONDS * 1000),
    usedAt: null,
    createdAt: now,
    updatedAt: now,
  });
  const origin = deps.env.PUBLIC_APP_ORIGIN ?? 'http://localhost:3000';
  await getMailer(deps).send({
    to: holder.email,
    subject: 'Reset your Invisible Bank password',
    text: [
      'Someone asked to reset the password of your Invisible Bank account.',
      `Reset it within ${PASSWORD_RESET_TTL_SECONDS / 60} minutes:`,
      `${origin}/reset-password#token=${token}`,
      `Or send this token to POST /api/v1/auth/password/reset: ${token}`,
      'If this was not you, ignore this message; your password stays as it is.',
    ].join('\n\n'),
  });
  await recordAuditEvent(deps, {
    type: 'password_reset_requested',
    outcome: 'success',
    holderId: holder.id,
  });
}

function resetRefused(): BusinessRuleError {
  return new BusinessRuleError(
    'invalid-reset-token',
    'Invalid reset token',
    'The reset token is invalid, expired or already used.',
  );
}

/** Sets a new password with a reset token, spends the token and ends every session. */
export async function resetPassword(
  deps: ServiceDeps,
  input: { token: string; newPassword: string },
): Promise<void> {
  const tokenHash = await hashResetToken(input.token);
  const now = toIso(deps.nowMs);
  const usable = and(
    eq(passwordResetTokens.tokenHash, tokenHash),
    isNull(passwordResetTokens.usedAt),
    gt(passwordResetTokens.expiresAt, now),
  );
  const pending = await deps.db.select().from(passwordResetTokens).where(usable).get();
  if (!pending) throw resetRefused();
  const holder = await getHolder(deps, pending.holderId);
  // The policy is checked before the token is spent, so a refused password costs no token.
  assertPasswordAllowed({ password: input.newPassword, email: holder.email, path: 'new_password' });

  const spent = await deps.db
    .update(passwordResetTokens)
    .set({ usedAt: now, updatedAt: now })
    .where(usable)
    .returning({ id: passwordResetTokens.id });
  if (spent.length === 0) throw resetRefused();

  await setPassword(deps, holder.id, input.newPassword);
  await endAllSessions(deps, {
    holderId: holder.id,
    exceptSessionId: null,
    reason: 'password_reset',
  });
  // A reset proves control of the mailbox, so it also lifts a login lockout.
  const throttleKey = await loginThrottleName(deps, holder.email);
  await deps.env.LOGIN_THROTTLE.get(deps.env.LOGIN_THROTTLE.idFromName(throttleKey)).reset();
  await recordAuditEvent(deps, { type: 'password_reset', outcome: 'success', holderId: holder.id });
  notifyOwner(deps, 'password_reset', { email: holder.email });
}
