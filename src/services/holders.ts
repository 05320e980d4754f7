import { eq } from 'drizzle-orm';
import { verifyPassword } from '../crypto/passwords';
import { constraintFailure } from '../db/client';
import { accountHolders, type AccountHolderRow } from '../db/schema';
import { AuthenticationError, ConflictError, NotFoundError, ValidationError } from '../errors';
import { HOLDER_AGE_YEARS_MIN } from '../lib/limits';
import { ageYears, toDateString, toIso } from '../lib/time';
import { recordAuditEvent } from './audit';
import type { ServiceDeps } from './deps';
import { notifyOwner } from './notifications';
import { isReauthenticated, type ReauthSession } from './reauth';

export interface HolderView {
  id: string;
  name: string;
  email: string;
  date_of_birth: string;
  mailing_address: string;
  ssn_last4: string;
  mfa_enabled: boolean;
  created_at: string;
  updated_at: string;
}

export function toHolderView(row: AccountHolderRow): HolderView {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    date_of_birth: row.dateOfBirth,
    mailing_address: row.mailingAddress,
    ssn_last4: row.ssnLast4,
    mfa_enabled: row.mfaEnabled,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** Refuses a birth date under the minimum age on today's date (UTC). */
export function assertAdult(birthDate: string, nowMs: number): void {
  if (ageYears(birthDate, toDateString(nowMs)) < HOLDER_AGE_YEARS_MIN) {
    throw new ValidationError('The request body failed validation.', [
      {
        path: 'date_of_birth',
        message: `Account holders must be at least ${HOLDER_AGE_YEARS_MIN}.`,
      },
    ]);
  }
}

/** One answer for a taken email and a taken SSN, so neither can be probed on its own. */
export function alreadyRegistered(): ConflictError {
  return new ConflictError(
    'already-registered',
    'An account holder with this email or SSN is already registered.',
  );
}

export async function getHolder(deps: ServiceDeps, holderId: string): Promise<AccountHolderRow> {
  const row = await deps.db
    .select()
    .from(accountHolders)
    .where(eq(accountHolders.id, holderId))
    .get();
  if (!row) throw new NotFoundError('No such account holder.');
  return row;
}

export interface HolderChanges {
  name?: string;
  email?: string;
  date_of_birth?: string;
  mailing_address?: string;
  current_password?: string;
}

/** Updates the caller's profile. Changing the email needs the current password. */
export async function updateHolder(
  deps: ServiceDeps,
  session: ReauthSession,
  changes: HolderChanges,
): Promise<AccountHolderRow> {
  const holderId = session.holderId;
  const holder = await getHolder(deps, holderId);
  const isEmailChange = changes.email !== undefined && changes.email !== holder.email;
  if (isEmailChange) {
    const currentPassword = changes.current_password;
    // A missing password is a malformed request, not a guess: it costs no attempt.
    if (currentPassword === undefined) {
      throw new ValidationError('The request body failed validation.', [
        { path: 'current_password', message: 'Required when the email changes.' },
      ]);
    }
    const isVerified = await isReauthenticated(deps, session, async () => {
      const isRight = verifyPassword(holder.passwordHash, currentPassword);
      if (!isRight) await recordEmailChange(deps, session, 'failure');
      return isRight;
    });
    if (!isVerified) {
      throw new AuthenticationError('The current password is wrong.', {
        reason: 'email_change_password',
      });
    }
  }
  if (changes.date_of_birth !== undefined) assertAdult(changes.date_of_birth, deps.nowMs);

  const update = {
    ...(changes.name !== undefined && { name: changes.name }),
    ...(isEmailChange && { email: changes.email }),
    ...(changes.date_of_birth !== undefined && { dateOfBirth: changes.date_of_birth }),
    ...(changes.mailing_address !== undefined && { mailingAddress: changes.mailing_address }),
    updatedAt: toIso(deps.nowMs),
  };
  try {
    const rows = await deps.db
      .update(accountHolders)
      .set(update)
      .where(eq(accountHolders.id, holderId))
      .returning();
    const row = rows[0];
    if (!row) throw new NotFoundError('No such account holder.');
    // The old address hears of an email change: mail to the new one would reach only the
    // person who made it.
    if (isEmailChange) {
      notifyOwner(deps, 'email_changed', { email: holder.email });
      await recordEmailChange(deps, session, 'success');
    }
    if (row.mailingAddress !== holder.mailingAddress) {
      notifyOwner(deps, 'mailing_address_changed', { email: row.email });
    }
    return row;
  } catch (error) {
    if (constraintFailure(error) !== 'unique') throw error;
    // A run of these is someone testing which emails are registered: keep it on record.
    await recordEmailChange(deps, session, 'failure');
    throw alreadyRegistered();
  }
}

function recordEmailChange(
  deps: ServiceDeps,
  session: ReauthSession,
  outcome: 'success' | 'failure',
): Promise<void> {
  return recordAuditEvent(deps, {
    type: 'email_changed',
    outcome,
    holderId: session.holderId,
    sessionId: session.sessionId,
  });
}
