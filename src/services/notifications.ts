import { eq } from 'drizzle-orm';
import { accountHolders } from '../db/schema';
import { LOGIN_LOCKOUT_SECONDS } from '../lib/limits';
import type { ServiceDeps } from './deps';
import { getMailer } from './mailer';

/**
 * Mail to the owner of an account after a change to how it is secured, or a lockout
 * (SECURITY G16, G39): if someone else made the change, the owner learns of it from the one
 * channel the change did not touch. Notices carry no secret, no link that acts and no new
 * address: a notice of an email change goes to the old address and does not name the new one.
 */
export type OwnerNotice =
  | 'password_changed'
  | 'password_reset'
  | 'email_changed'
  | 'mailing_address_changed'
  | 'mfa_enabled'
  | 'mfa_disabled'
  | 'login_locked';

const SIGN_OFF = 'If this was you, there is nothing to do.';
const IF_NOT_YOU =
  'If it was not you, reset your password at once (POST /api/v1/auth/password/forgot): a reset ' +
  'ends every session.';

const NOTICES: Record<OwnerNotice, { subject: string; lines: string[] }> = {
  password_changed: {
    subject: 'Your Invisible Bank password was changed',
    lines: [
      'The password of your Invisible Bank account was changed, and every other session ended.',
    ],
  },
  password_reset: {
    subject: 'Your Invisible Bank password was reset',
    lines: [
      'The password of your Invisible Bank account was reset with a link mailed to this address,',
      'and every session ended.',
    ],
  },
  email_changed: {
    subject: 'The email of your Invisible Bank account was changed',
    lines: [
      'The email address of your Invisible Bank account was changed away from this address.',
      'Mail about the account now goes to the new address.',
    ],
  },
  mailing_address_changed: {
    subject: 'Your Invisible Bank mailing address was changed',
    lines: ['The mailing address of your Invisible Bank account was changed.'],
  },
  mfa_enabled: {
    subject: 'Two-step sign-in is now on',
    lines: ['An authenticator app was set up for your Invisible Bank account.'],
  },
  mfa_disabled: {
    subject: 'Two-step sign-in was turned off',
    lines: ['Two-step sign-in was turned off for your Invisible Bank account.'],
  },
  login_locked: {
    subject: 'Sign-in to your Invisible Bank account is paused',
    lines: [
      'Several wrong passwords were tried for your Invisible Bank account, so sign-in with a',
      `password is paused for ${LOGIN_LOCKOUT_SECONDS / 60} minutes. A password reset lifts`,
      'the pause at once.',
    ],
  },
};

/**
 * Sends the notice after the answer (deps.defer): the answer never waits for mail, takes no
 * longer when the holder exists, and a failed send is logged without failing the change.
 */
export function notifyOwner(
  deps: ServiceDeps,
  notice: OwnerNotice,
  recipient: { holderId: string } | { email: string },
): void {
  deps.defer(sendNotice(deps, notice, recipient));
}

async function sendNotice(
  deps: ServiceDeps,
  notice: OwnerNotice,
  recipient: { holderId: string } | { email: string },
): Promise<void> {
  const email =
    'email' in recipient
      ? recipient.email
      : (
          await deps.db
            .select({ email: accountHolders.email })
            .from(accountHolders)
            .where(eq(accountHolders.id, recipient.holderId))
            .get()
        )?.email;
  if (!email) return;
  const { subject, lines } = NOTICES[notice];
  await getMailer(deps).send({
    to: email,
    subject,
    text: [lines.join(' '), `${SIGN_OFF} ${IF_NOT_YOU}`].join('\n\n'),
  });
}
