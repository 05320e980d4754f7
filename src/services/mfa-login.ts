import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { mfaChallenges } from '../db/schema';
import { AuthenticationError } from '../errors';
import { bytesToBase64Url, bytesToHex, utf8 } from '../lib/encoding';
import { newId } from '../lib/ids';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import { recordAuditEvent } from './audit';
import type { ServiceDeps } from './deps';
import { getHolder } from './holders';
import {
  matchSecondFactor,
  mfaLockedOut,
  mfaThrottleFor,
  recordSecondFactorFailure,
  spendSecondFactor,
} from './second-factor';
import { startSession, type TokenPair } from './sessions';

/**
 * The second step of a login for a holder with MFA on. The mfa_token is 32 random bytes kept
 * in D1 as their SHA-256, rather than a JWT: it needs server state anyway (single use, attempt
 * count), and a token of a new kind can never be mistaken for an access or refresh token.
 */

// These bounds belong with the others in lib/limits.ts; they are here until that file is free.
/** How long the mfa_token from a password-checked login stays usable. */
export const MFA_CHALLENGE_TTL_SECONDS = 5 * 60;
/** Codes tried against one mfa_token, right or wrong; the next one is refused. */
export const MFA_CHALLENGE_ATTEMPTS_MAX = 5;
export const MFA_TOKEN_BYTES = 32;
export const MFA_TOKEN_LENGTH_MAX = 128;

export interface MfaChallenge {
  mfa_required: true;
  mfa_token: string;
}

async function sha256Hex(text: string): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text))));
}

/**
 * Opens a challenge for a holder whose password login() has just accepted, and returns its
 * token: good for five minutes, one success and MFA_CHALLENGE_ATTEMPTS_MAX attempts.
 */
export async function issueMfaChallenge(
  deps: ServiceDeps,
  holderId: string,
): Promise<MfaChallenge> {
  const token = bytesToBase64Url(crypto.getRandomValues(new Uint8Array(MFA_TOKEN_BYTES)));
  const now = toIso(deps.nowMs);
  await deps.db.insert(mfaChallenges).values({
    id: newId(deps.nowMs),
    holderId,
    tokenHash: await sha256Hex(token),
    attempts: 0,
    expiresAt: toIso(deps.nowMs + MFA_CHALLENGE_TTL_SECONDS * 1000),
    usedAt: null,
    createdAt: now,
    updatedAt: now,
  });
  log('info', 'login_mfa_required', { requestId: deps.requestId, holderId });
  return { mfa_required: true, mfa_token: token };
}

const MFA_REFUSED = 'The MFA token or the code is invalid, expired or already used.';

/**
 * Completes a login with a TOTP code or a recovery code and opens the session. Every refusal
 * gets the same 401, whichever check failed; only the log says which. Throws
 * TooManyRequestsError (429) while the holder is locked after repeated wrong codes.
 */
export async function verifyMfaLogin(
  deps: ServiceDeps,
  input: { mfaToken: string; code: string; userAgent: string | undefined },
): Promise<TokenPair> {
  const challenge = await claimChallengeAttempt(deps, input.mfaToken);
  if (!challenge) {
    await recordAuditEvent(deps, { type: 'mfa_failed', outcome: 'failure' });
    throw new AuthenticationError(MFA_REFUSED, { reason: 'challenge_unusable' });
  }
  const holderId = challenge.holderId;
  const throttle = mfaThrottleFor(deps, holderId);
  const { lockedForSeconds } = await throttle.check(deps.nowMs);
  if (lockedForSeconds > 0) {
    await recordAuditEvent(deps, { type: 'mfa_failed', outcome: 'failure', holderId });
    throw mfaLockedOut(lockedForSeconds);
  }

  const holder = await getHolder(deps, holderId);
  const match = await matchSecondFactor(deps, holder, input.code);
  const isSpent = match.ok && (await spendSecondFactor(deps, holderId, match));
  const isChallengeSpent = isSpent && (await spendChallenge(deps, challenge.id));
  if (!match.ok || !isChallengeSpent) {
    const reason = match.ok ? (isSpent ? 'challenge_raced' : 'code_raced') : match.reason;
    await recordSecondFactorFailure(deps, { throttle, holderId, reason });
    await recordAuditEvent(deps, { type: 'mfa_failed', outcome: 'failure', holderId });
    throw new AuthenticationError(MFA_REFUSED, { reason });
  }

  await throttle.reset();
  const session = await startSession(deps, { holderId, userAgent: input.userAgent });
  const audit = { outcome: 'success', holderId, sessionId: session.sessionId } as const;
  const factorEvent = match.kind === 'totp' ? 'mfa_verified' : 'mfa_recovery_code_used';
  log('info', 'login_succeeded', { requestId: deps.requestId, holderId, reason: factorEvent });
  await recordAuditEvent(deps, { ...audit, type: factorEvent });
  await recordAuditEvent(deps, { ...audit, type: 'login_succeeded' });
  return session.pair;
}

/**
 * Counts one attempt against a live challenge, atomically: of many concurrent attempts no
 * more than the maximum get through. Null for an unknown, used, expired or exhausted token.
 */
async function claimChallengeAttempt(
  deps: ServiceDeps,
  mfaToken: string,
): Promise<{ id: string; holderId: string } | null> {
  const now = toIso(deps.nowMs);
  const claimed = await deps.db
    .update(mfaChallenges)
    .set({ attempts: sql`${mfaChallenges.attempts} + 1`, updatedAt: now })
    .where(
      and(
        eq(mfaChallenges.tokenHash, await sha256Hex(mfaToken)),
        lt(mfaChallenges.attempts, MFA_CHALLENGE_ATTEMPTS_MAX),
        isNull(mfaChallenges.usedAt),
        gt(mfaChallenges.expiresAt, now),
      ),
    )
    .returning({ id: mfaChallenges.id, holderId: mfaChallenges.holderId });
  return claimed[0] ?? null;
}

async function spendChallenge(deps: ServiceDeps, challengeId: string): Promise<boolean> {
  const now = toIso(deps.nowMs);
  const spent = await deps.db
    .update(mfaChallenges)
    .set({ usedAt: now, updatedAt: now })
    .where(and(eq(mfaChallenges.id, challengeId), isNull(mfaChallenges.usedAt)))
    .returning({ id: mfaChallenges.id });
  return spent.length === 1;
}
