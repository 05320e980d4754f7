import { describe, expect, it } from 'vitest';
import { totpAt, totpSecretFromBase32 } from '../../src/crypto/totp';
import { LOGIN_FAILURES_MAX } from '../../src/lib/limits';
import { fixedClock } from '../../src/lib/time';
import { apiSettledAt, newCustomerVia, nextEmail, STRONG_PASSWORD, type ApiCall } from '../helpers';

const START = '2026-12-03T12:00:10.000Z';
const NEW_PASSWORD = 'a brand new passphrase 2026';

interface Mail {
  to: string;
  subject: string;
  body: string;
}

function session() {
  const clock = fixedClock(START);
  return { clock, ...apiSettledAt(clock) };
}

async function mailTo(call: ApiCall, email: string): Promise<Mail[]> {
  const outbox = await call('GET', `https://bank.test/dev/outbox?to=${encodeURIComponent(email)}`);
  expect(outbox.status).toBe(200);
  return outbox.body.data;
}

function subjects(mails: Mail[]): string[] {
  return mails.map((mail) => mail.subject).sort();
}

describe('owner notices', () => {
  it('tells the owner of a password change, without the password', async () => {
    const { call, settle } = session();
    const customer = await newCustomerVia(call);

    const changed = await call('POST', '/auth/password/change', {
      token: customer.accessToken,
      body: { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD },
    });
    expect(changed.status).toBe(204);
    await settle();

    const mails = await mailTo(call, customer.email);
    expect(subjects(mails)).toEqual(['Your Invisible Bank password was changed']);
    expect(mails[0]!.body).not.toContain(NEW_PASSWORD);
    expect(mails[0]!.body).not.toContain(STRONG_PASSWORD);
  });

  it('tells the owner of a password reset', async () => {
    const { call, settle } = session();
    const customer = await newCustomerVia(call);
    expect(
      (await call('POST', '/auth/password/forgot', { body: { email: customer.email } })).status,
    ).toBe(202);
    await settle();
    const [resetMail] = await mailTo(call, customer.email);
    const token = resetMail!.body.match(/reset: ([A-Za-z0-9_-]{43})$/m)![1];

    const reset = await call('POST', '/auth/password/reset', {
      body: { token, new_password: NEW_PASSWORD },
    });
    expect(reset.status).toBe(204);
    await settle();

    const mails = await mailTo(call, customer.email);
    expect(subjects(mails)).toEqual([
      'Reset your Invisible Bank password',
      'Your Invisible Bank password was reset',
    ]);
    const notice = mails.find((mail) => mail.subject.endsWith('was reset'))!;
    expect(notice.body).not.toContain(token!);
  });

  it('sends no notice for a refused password change', async () => {
    const { call, settle } = session();
    const customer = await newCustomerVia(call);

    const refused = await call('POST', '/auth/password/change', {
      token: customer.accessToken,
      body: { current_password: 'not the password at all', new_password: NEW_PASSWORD },
    });
    expect(refused.status).toBe(401);
    await settle();

    expect(await mailTo(call, customer.email)).toEqual([]);
  });

  it('tells the old address of an email change and does not name the new one', async () => {
    const { call, settle } = session();
    const customer = await newCustomerVia(call);
    const newEmail = nextEmail('moved');

    const updated = await call('PATCH', '/account-holders/me', {
      token: customer.accessToken,
      body: { email: newEmail, current_password: STRONG_PASSWORD },
    });
    expect(updated.status).toBe(200);
    await settle();

    const oldMails = await mailTo(call, customer.email);
    expect(subjects(oldMails)).toEqual(['The email of your Invisible Bank account was changed']);
    expect(oldMails[0]!.body).not.toContain(newEmail);
    expect(await mailTo(call, newEmail)).toEqual([]);
  });

  it('tells the owner of a new mailing address, and not of a new name', async () => {
    const { call, settle } = session();
    const customer = await newCustomerVia(call);
    const token = customer.accessToken;

    expect(
      (await call('PATCH', '/account-holders/me', { token, body: { name: 'Ada King' } })).status,
    ).toBe(200);
    await settle();
    expect(await mailTo(call, customer.email)).toEqual([]);

    const address = '1 New Street, Elsewhere';
    const moved = await call('PATCH', '/account-holders/me', {
      token,
      body: { mailing_address: address },
    });
    expect(moved.status).toBe(200);
    await settle();
    const mails = await mailTo(call, customer.email);
    expect(subjects(mails)).toEqual(['Your Invisible Bank mailing address was changed']);
    expect(mails[0]!.body).not.toContain(address);
  });

  it('tells the owner when two-step sign-in is turned on and off', async () => {
    const { clock, call, settle } = session();
    const customer = await newCustomerVia(call);
    const token = customer.accessToken;
    const setup = await call('POST', '/auth/mfa/totp/setup', { token });
    const secret = totpSecretFromBase32(setup.body.secret);
    const enabled = await call('POST', '/auth/mfa/totp/enable', {
      token,
      body: { code: totpAt(secret, clock.nowMs()) },
    });
    expect(enabled.status).toBe(200);
    await settle();
    expect(subjects(await mailTo(call, customer.email))).toEqual(['Two-step sign-in is now on']);

    clock.advanceMs(30_000);
    const disabled = await call('POST', '/auth/mfa/totp/disable', {
      token,
      body: { password: STRONG_PASSWORD, code: totpAt(secret, clock.nowMs()) },
    });
    expect(disabled.status).toBe(204);
    await settle();

    const mails = await mailTo(call, customer.email);
    expect(subjects(mails)).toEqual([
      'Two-step sign-in is now on',
      'Two-step sign-in was turned off',
    ]);
    for (const mail of mails) expect(mail.body).not.toContain(setup.body.secret);
  });

  it('mails the owner once when a lockout starts, and nobody for an unknown email', async () => {
    const { call, settle } = session();
    const customer = await newCustomerVia(call);
    const stranger = nextEmail('nobody');

    for (const email of [customer.email, stranger]) {
      for (let attempt = 0; attempt <= LOGIN_FAILURES_MAX + 1; attempt++) {
        const response = await call('POST', '/auth/login', {
          body: { email, password: 'wrong password guess' },
        });
        expect(response.status).toBe(attempt < LOGIN_FAILURES_MAX ? 401 : 429);
      }
    }
    await settle();

    const mails = await mailTo(call, customer.email);
    expect(subjects(mails)).toEqual(['Sign-in to your Invisible Bank account is paused']);
    expect(mails[0]!.body).toContain('15 minutes');
    expect(await mailTo(call, stranger)).toEqual([]);
  });
});
