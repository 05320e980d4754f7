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
import { AuthenticationError, ValidationError } from '../errors';
import { newId } from '../lib/ids';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import type { ServiceDeps } from './deps';
import { alreadyRegistered, assertAdult } from './holders';
import { startSession, type TokenPair } from './sessions';

export interface SignupInput {
  name: string;
  email: string;
  password: string;
  ssn: string;
  date_of_birth: string;
  mailing_address: string;
}

/** Refuses a password the policy does not allow, naming the reason (NIST SP 800-63B). */
export function assertPasswordAllowed(input: {
  password: string;
  email: string;
  path: string;
}): void {
  const normalized = input.password.normalize('NFKC');
  if (normalized.trim().toLowerCase() === input.email) {
    throw new ValidationError('The request body failed validation.', [
      { path: input.path, message: 'Must not be the email address.' },
    ]);
  }
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
  log('info', 'holder_signed_up', { holderId });
  return startSession(deps, { holderId, userAgent: input.userAgent });
}

const LOGIN_REFUSED = 'The email or password is wrong.';

/**
 * Checks an email and password and opens a session. An unknown email still costs one Argon2
 * verification, against a dummy hash, so the answer and its timing match a wrong password.
 */
export async function login(
  deps: ServiceDeps,
  input: { email: string; password: string; userAgent: string | undefined },
): Promise<TokenPair> {
  const holder = await deps.db
    .select({ id: accountHolders.id, passwordHash: accountHolders.passwordHash })
    .from(accountHolders)
    .where(eq(accountHolders.email, input.email))
    .get();
  const isValid = verifyPassword(holder?.passwordHash ?? DUMMY_PASSWORD_HASH, input.password);
  if (!holder || !isValid) {
    log('info', 'login_failed', { holderId: holder?.id });
    throw new AuthenticationError(LOGIN_REFUSED, {
      reason: holder ? 'bad_password' : 'unknown_email',
    });
  }
  if (needsRehash(holder.passwordHash)) {
    await deps.db
      .update(accountHolders)
      .set({ passwordHash: hashPassword(input.password), updatedAt: toIso(deps.nowMs) })
      .where(eq(accountHolders.id, holder.id));
  }
  log('info', 'login_succeeded', { holderId: holder.id });
  return startSession(deps, { holderId: holder.id, userAgent: input.userAgent });
}
