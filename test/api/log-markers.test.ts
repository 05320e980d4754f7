import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decryptField } from '../../src/crypto/fields';
import { totpAt, totpSecretFromBase32 } from '../../src/crypto/totp';
import { fixedClock } from '../../src/lib/time';
import { apiSettledAt, newCustomer, signupBody, type ApiCall } from '../helpers';
import { holderFieldKeys } from '../keys';
import { capturedLogLines } from '../setup';

/**
 * One customer goes through everything a customer can do, with personal values that appear
 * nowhere else, and then no log line may hold any of them. The markers are fixed so that a
 * failure names the same value on every run; the server-made secrets (tokens, the card number,
 * the TOTP secret, recovery and reset codes) are collected on the way.
 */
const MARKERS = {
  name: 'Quennel Marktwaite',
  email: 'quennel.marktwaite.logcheck@example.com',
  newEmail: 'q.marktwaite.renamed.logcheck@example.com',
  password: 'Marker passphrase Zq7-Lw3-Hk9',
  wrongPassword: 'Marker wrong guess Pv2-Xs8-Ty4',
  newPassword: 'Marker changed phrase Rn5-Bd1-Gc6',
  resetPassword: 'Marker reset phrase Wm4-Jf2-Kx8',
  ssn: '512-73-9041',
  dateOfBirth: '1979-04-23',
  address: '77 Markerfield Crescent, Logtown',
  description: 'Marker rent memo Oyster',
  idempotencyKey: 'marker-idem-key-7c41d9',
} as const;

const START = '2026-12-03T12:00:10.000Z';
const CLIENT = { 'CF-Connecting-IP': '203.0.113.77', 'User-Agent': 'log-marker-check/1.0' };

/** The in-process app under a fixed clock, from one client, awaiting its deferred work. */
function customerSession() {
  const clock = fixedClock(START);
  const { call: settledCall, settle } = apiSettledAt(clock);
  const call: ApiCall = (method, path, options = {}) =>
    settledCall(method, path, { ...options, headers: { ...CLIENT, ...options.headers } });
  return { clock, call, settle };
}

async function cardNumberOf(cardId: string): Promise<string> {
  const row = await env.DB.prepare('SELECT holder_id, number_ciphertext FROM cards WHERE id = ?')
    .bind(cardId)
    .first<{ holder_id: string; number_ciphertext: string }>();
  const context = { table: 'cards', column: 'number', rowId: cardId };
  return decryptField(await holderFieldKeys(row!.holder_id), context, row!.number_ciphertext);
}

describe('logs of a whole customer journey', () => {
  it('never hold a password, SSN, card number, email, token or one-time code', async () => {
    const { clock, call, settle } = customerSession();
    const secrets: Record<string, string> = { ...MARKERS };
    const expectStatus = (response: { status: number; text: string }, status: number) =>
      expect(response.status, response.text).toBe(status);

    const signup = await call('POST', '/auth/signup', {
      body: signupBody({
        name: MARKERS.name,
        email: MARKERS.email,
        password: MARKERS.password,
        ssn: MARKERS.ssn,
        date_of_birth: MARKERS.dateOfBirth,
        mailing_address: MARKERS.address,
      }),
    });
    expectStatus(signup, 201);
    secrets.signupAccess = signup.body.access_token;
    secrets.signupRefresh = signup.body.refresh_token;

    // A second signup with the same SSN and email, refused: its values are in the request too.
    expectStatus(
      await call('POST', '/auth/signup', {
        body: signupBody({ email: MARKERS.email, ssn: MARKERS.ssn, password: MARKERS.password }),
      }),
      409,
    );
    expectStatus(
      await call('POST', '/auth/login', {
        body: { email: MARKERS.email, password: MARKERS.wrongPassword },
      }),
      401,
    );
    const login = await call('POST', '/auth/login', {
      body: { email: MARKERS.email, password: MARKERS.password },
    });
    expectStatus(login, 200);
    let token: string = login.body.access_token;
    secrets.loginAccess = token;
    secrets.loginRefresh = login.body.refresh_token;

    expectStatus(await call('GET', '/account-holders/me', { token }), 200);
    expectStatus(
      await call('PATCH', '/account-holders/me', {
        token,
        body: { email: MARKERS.newEmail, current_password: MARKERS.password },
      }),
      200,
    );

    const checking = await call('POST', '/accounts', {
      token,
      body: { account_type: 'checking', nickname: 'Everyday' },
    });
    expectStatus(checking, 201);
    const accountId: string = checking.body.id;
    const deposit = {
      token,
      body: { account_id: accountId, amount: '500.00', description: MARKERS.description },
      headers: { 'Idempotency-Key': MARKERS.idempotencyKey },
    };
    expectStatus(await call('POST', '/transactions/deposit', deposit), 201);
    expectStatus(await call('POST', '/transactions/deposit', deposit), 201);
    expectStatus(
      await call('POST', '/transactions/withdraw', {
        token,
        body: { account_id: accountId, amount: '10000.00' },
      }),
      422,
    );

    const payee = await newCustomer();
    const payeeAccount = await call('POST', '/accounts', {
      token: payee.accessToken,
      body: { account_type: 'savings' },
    });
    expectStatus(payeeAccount, 201);
    expectStatus(
      await call('POST', '/transactions/transfer', {
        token,
        body: {
          from_account_id: accountId,
          to_routing_number: '123456789',
          to_account_number: payeeAccount.body.account_number,
          amount: '25.00',
          description: MARKERS.description,
        },
      }),
      201,
    );

    const card = await call('POST', '/cards', {
      token,
      body: { account_id: accountId, card_type: 'debit' },
    });
    expectStatus(card, 201);
    secrets.cardNumber = await cardNumberOf(card.body.id);
    expectStatus(await call('GET', `/cards/${card.body.id}`, { token }), 200);
    expectStatus(await call('GET', `/transactions?q=rent&account_id=${accountId}`, { token }), 200);
    expectStatus(await call('GET', '/statements', { token, headers: { Accept: 'text/csv' } }), 200);

    const refreshed = await call('POST', '/auth/refresh', {
      body: { refresh_token: secrets.loginRefresh },
    });
    expectStatus(refreshed, 200);
    token = refreshed.body.access_token;
    secrets.refreshedAccess = token;
    secrets.refreshedRefresh = refreshed.body.refresh_token;
    // Replaying the spent refresh token ends that session: log in again afterwards.
    expectStatus(
      await call('POST', '/auth/refresh', { body: { refresh_token: secrets.loginRefresh } }),
      401,
    );

    const again = await call('POST', '/auth/login', {
      body: { email: MARKERS.newEmail, password: MARKERS.password },
    });
    expectStatus(again, 200);
    token = again.body.access_token;
    secrets.againAccess = token;
    expectStatus(
      await call('POST', '/auth/password/change', {
        token,
        body: { current_password: MARKERS.password, new_password: MARKERS.newPassword },
      }),
      204,
    );

    expectStatus(
      await call('POST', '/auth/password/forgot', { body: { email: MARKERS.newEmail } }),
      202,
    );
    await settle();
    const outbox = await call(
      'GET',
      `https://bank.test/dev/outbox?to=${encodeURIComponent(MARKERS.newEmail)}`,
    );
    const resetToken = outbox.body.data
      .map((mail: { body: string }) => mail.body.match(/reset: ([A-Za-z0-9_-]{43})$/m)?.[1])
      .find(Boolean);
    expect(resetToken).toBeDefined();
    secrets.resetToken = resetToken!;
    expectStatus(
      await call('POST', '/auth/password/reset', {
        body: { token: resetToken, new_password: MARKERS.resetPassword },
      }),
      204,
    );

    const fresh = await call('POST', '/auth/login', {
      body: { email: MARKERS.newEmail, password: MARKERS.resetPassword },
    });
    expectStatus(fresh, 200);
    token = fresh.body.access_token;
    secrets.freshAccess = token;
    const setup = await call('POST', '/auth/mfa/totp/setup', { token });
    expectStatus(setup, 200);
    secrets.totpSecret = setup.body.secret;
    secrets.otpauthUri = setup.body.otpauth_uri;
    const secretBytes = totpSecretFromBase32(setup.body.secret);
    const enabled = await call('POST', '/auth/mfa/totp/enable', {
      token,
      body: { code: totpAt(secretBytes, clock.nowMs()) },
    });
    expectStatus(enabled, 200);
    const recoveryCodes: string[] = enabled.body.recovery_codes;
    recoveryCodes.forEach((code, index) => (secrets[`recoveryCode${index}`] = code));

    clock.advanceMs(30_000);
    const challenge = await call('POST', '/auth/login', {
      body: { email: MARKERS.newEmail, password: MARKERS.resetPassword },
    });
    expectStatus(challenge, 200);
    secrets.mfaToken = challenge.body.mfa_token;
    const verified = await call('POST', '/auth/mfa/verify', {
      body: { mfa_token: challenge.body.mfa_token, code: recoveryCodes[0] },
    });
    expectStatus(verified, 200);
    token = verified.body.access_token;
    secrets.mfaAccess = token;
    secrets.mfaRefresh = verified.body.refresh_token;

    expectStatus(await call('GET', '/auth/sessions', { token }), 200);
    expectStatus(await call('GET', '/account-holders/me/audit-events', { token }), 200);
    expectStatus(await call('POST', '/auth/logout', { token }), 204);
    expectStatus(await call('GET', '/accounts', { token }), 401);

    // The operator routes: the ops secret in a header, right and wrong.
    const opsUrl = 'https://bank.test/ops/keys/rewrap';
    if (!env.OPS_API_TOKEN) throw new Error('the test env binds no OPS_API_TOKEN');
    secrets.opsToken = env.OPS_API_TOKEN;
    secrets.wrongOpsToken = `${env.OPS_API_TOKEN}x`;
    for (const [opsToken, status] of [
      [secrets.opsToken, 200],
      [secrets.wrongOpsToken, 401],
    ] as const) {
      const headers = { Authorization: `Bearer ${opsToken}` };
      expectStatus(await call('POST', opsUrl, { headers }), status);
    }

    // Erasure, last: empty the account, fail once with a wrong password, then erase.
    const lastChallenge = await call('POST', '/auth/login', {
      body: { email: MARKERS.newEmail, password: MARKERS.resetPassword },
    });
    const lastLogin = await call('POST', '/auth/mfa/verify', {
      body: { mfa_token: lastChallenge.body.mfa_token, code: recoveryCodes[1] },
    });
    expectStatus(lastLogin, 200);
    token = lastLogin.body.access_token;
    secrets.lastAccess = token;
    expectStatus(
      await call('POST', '/transactions/withdraw', {
        token,
        body: { account_id: accountId, amount: '475.00' },
      }),
      201,
    );
    const erasure = (password: string, code: string) =>
      call('DELETE', '/account-holders/me', { token, body: { password, code } });
    expectStatus(await erasure(MARKERS.wrongPassword, recoveryCodes[2]!), 401);
    expectStatus(await erasure(MARKERS.resetPassword, recoveryCodes[3]!), 204);
    expectStatus(await call('GET', '/accounts', { token }), 401);
    await settle();

    // Spellings a careless log could use: the SSN without dashes, the email's local part.
    secrets.ssnDigits = MARKERS.ssn.replaceAll('-', '');
    secrets.emailLocalPart = MARKERS.email.split('@')[0]!;
    secrets.newEmailLocalPart = MARKERS.newEmail.split('@')[0]!;

    // The journey must have logged plenty, or the check below would pass by saying nothing.
    expect(capturedLogLines.length).toBeGreaterThan(40);
    const leaks = capturedLogLines.flatMap((line) =>
      Object.entries(secrets)
        .filter(([, value]) => line.toLowerCase().includes(value.toLowerCase()))
        .map(([name]) => `${name} in ${line.slice(0, 160)}`),
    );
    expect(leaks).toEqual([]);
  });
});
