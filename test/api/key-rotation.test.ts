import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { getConfig, type Config } from '../../src/config';
import {
  blindIndex,
  blindIndexCandidates,
  decryptField,
  encryptFieldWithRingKey,
} from '../../src/crypto/fields';
import worker from '../../src/index';
import { isLuhnValid } from '../../src/lib/luhn';
import { api, expectProblem, newCustomer, signupBody, type Customer } from '../helpers';
import { apiWithEnv, envWith, holderFieldKeys } from '../keys';
import { enrolledHolder } from '../mfa-helpers';
import { capturedLogLines } from '../setup';

// Test-only keys added by the rotation: k2 wraps data keys, b1 makes blind indexes.
const K2 = 'IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI';
const B1 = 'MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM';
const OPS_HEADERS = { Authorization: `Bearer ${env.OPS_API_TOKEN}` };

/**
 * Step one of a rotation (docs/key-management.md): the new keys are in both rings, the old ones
 * still current. Isolates of this deploy can open whatever the next step writes.
 */
const STAGED_ENV = envWith({
  FIELD_ENCRYPTION_KEYS: `k2:${K2},${env.FIELD_ENCRYPTION_KEYS}`,
  FIELD_ENCRYPTION_CURRENT_KEY_ID: 'k1',
  BLIND_INDEX_KEYS: `b1:${B1},b0:${env.BLIND_INDEX_KEY}`,
  BLIND_INDEX_CURRENT_KEY_ID: 'b0',
});
/** Step two: the new keys are current; the rewrap job moves everything onto them. */
const ROTATED_ENV = envWith({
  FIELD_ENCRYPTION_KEYS: `k2:${K2},${env.FIELD_ENCRYPTION_KEYS}`,
  FIELD_ENCRYPTION_CURRENT_KEY_ID: 'k2',
  BLIND_INDEX_KEYS: `b1:${B1},b0:${env.BLIND_INDEX_KEY}`,
  BLIND_INDEX_CURRENT_KEY_ID: 'b1',
});
/** After the old keys are removed from both rings. */
const RETIRED_ENV = envWith({
  FIELD_ENCRYPTION_KEYS: `k2:${K2}`,
  FIELD_ENCRYPTION_CURRENT_KEY_ID: 'k2',
  BLIND_INDEX_KEYS: `b1:${B1}`,
  BLIND_INDEX_CURRENT_KEY_ID: 'b1',
  BLIND_INDEX_KEY: undefined,
});

/** An isolate still running the step-one deploy while step two rolls out. */
const onOldKeys = apiWithEnv(STAGED_ENV);
const onNewKeys = apiWithEnv(ROTATED_ENV);

function ops(method: string, path: string, call = onNewKeys) {
  return call(method, `https://bank.test/ops/keys${path}`, { headers: OPS_HEADERS });
}

/**
 * Opens every sealed value in the database with only the keys `config` holds, and checks each
 * blind index is one the ring can make for its value. Returns how many values it opened.
 */
async function expectEveryRowReadable(config: Config): Promise<number> {
  let opened = 0;
  const holders = await env.DB.prepare(
    `SELECT id, ssn_ciphertext, ssn_index, ssn_last4 FROM account_holders
      WHERE erased_at IS NULL`,
  ).all<{ id: string; ssn_ciphertext: string; ssn_index: string; ssn_last4: string }>();
  for (const holder of holders.results) {
    const keys = await holderFieldKeys(holder.id, config);
    const context = { table: 'account_holders', column: 'ssn', rowId: holder.id };
    const ssn = await decryptField(keys, context, holder.ssn_ciphertext);
    expect(ssn.slice(-4)).toBe(holder.ssn_last4);
    expect(await blindIndexCandidates(config.blindIndex, 'ssn', ssn)).toContain(holder.ssn_index);
    opened += 1;
  }
  const cards = await env.DB.prepare(
    `SELECT id, holder_id, number_ciphertext, number_index, last4 FROM cards
      WHERE substr(number_index, 1, 7) <> 'erased:'`,
  ).all<{
    id: string;
    holder_id: string;
    number_ciphertext: string;
    number_index: string;
    last4: string;
  }>();
  for (const card of cards.results) {
    const keys = await holderFieldKeys(card.holder_id, config);
    const context = { table: 'cards', column: 'number', rowId: card.id };
    const number = await decryptField(keys, context, card.number_ciphertext);
    expect(isLuhnValid(number)).toBe(true);
    expect(number.slice(-4)).toBe(card.last4);
    const indexes = await blindIndexCandidates(config.blindIndex, 'card_number', number);
    expect(indexes).toContain(card.number_index);
    opened += 1;
  }
  const factors = await env.DB.prepare(
    'SELECT holder_id, secret_ciphertext FROM mfa_factors WHERE secret_ciphertext IS NOT NULL',
  ).all<{ holder_id: string; secret_ciphertext: string }>();
  for (const factor of factors.results) {
    const keys = await holderFieldKeys(factor.holder_id, config);
    const context = { table: 'mfa_factors', column: 'secret', rowId: factor.holder_id };
    expect(await decryptField(keys, context, factor.secret_ciphertext)).toMatch(/^[A-Z2-7]+$/);
    opened += 1;
  }
  return opened;
}

interface Holder extends Customer {
  holderId: string;
  accountId: string;
}

async function holderWithCard(): Promise<Holder> {
  const customer = await newCustomer();
  const me = await api('GET', '/account-holders/me', { token: customer.accessToken });
  const account = await api('POST', '/accounts', {
    token: customer.accessToken,
    body: { account_type: 'checking' },
  });
  const card = await api('POST', '/cards', {
    token: customer.accessToken,
    body: { account_id: account.body.id, card_type: 'debit' },
  });
  expect(card.status).toBe(201);
  return { ...customer, holderId: me.body.id, accountId: account.body.id };
}

/**
 * Rewrites a holder the way a release before envelope encryption stored them: SSN and card
 * numbers sealed directly under ring key k1 (format v1), bare blind indexes, no data key.
 */
async function makeLegacy(holderId: string): Promise<void> {
  const config = getConfig(env);
  const keys = await holderFieldKeys(holderId);
  const blindKey = config.blindIndex.keys.get('b0') as Uint8Array;
  const holder = await env.DB.prepare('SELECT ssn_ciphertext FROM account_holders WHERE id = ?')
    .bind(holderId)
    .first<{ ssn_ciphertext: string }>();
  const ssnContext = { table: 'account_holders', column: 'ssn', rowId: holderId };
  const ssn = await decryptField(keys, ssnContext, String(holder?.ssn_ciphertext));
  const statements = [
    env.DB.prepare(
      'UPDATE account_holders SET ssn_ciphertext = ?, ssn_index = ? WHERE id = ?',
    ).bind(
      await encryptFieldWithRingKey(config.fieldEncryption, ssnContext, ssn),
      await blindIndex(blindKey, 'ssn', ssn),
      holderId,
    ),
  ];
  const cards = await env.DB.prepare('SELECT id, number_ciphertext FROM cards WHERE holder_id = ?')
    .bind(holderId)
    .all<{ id: string; number_ciphertext: string }>();
  for (const card of cards.results) {
    const context = { table: 'cards', column: 'number', rowId: card.id };
    const number = await decryptField(keys, context, card.number_ciphertext);
    statements.push(
      env.DB.prepare('UPDATE cards SET number_ciphertext = ?, number_index = ? WHERE id = ?').bind(
        await encryptFieldWithRingKey(config.fieldEncryption, context, number),
        await blindIndex(blindKey, 'card_number', number),
        card.id,
      ),
    );
  }
  statements.push(
    env.DB.prepare('DELETE FROM holder_data_keys WHERE holder_id = ?').bind(holderId),
  );
  await env.DB.batch(statements);
}

function issueCard(call: typeof onNewKeys, holder: Holder) {
  return call('POST', '/cards', {
    token: holder.accessToken,
    body: { account_id: holder.accountId, card_type: 'credit' },
  });
}

describe('key rotation', () => {
  it('loses nothing while signups and cards race the rewrap job, and every row opens', async () => {
    const holders = await Promise.all(Array.from({ length: 6 }, holderWithCard));
    await enrolledHolder();
    await makeLegacy(holders[0]!.holderId);
    await makeLegacy(holders[1]!.holderId);
    const before = await expectEveryRowReadable(getConfig(env));
    expect(before).toBeGreaterThanOrEqual(14);

    // Deploy the rotated rings, then drive the job two items at a time while customers keep
    // signing up and ordering cards, some still through an isolate on the old configuration.
    let step = 0;
    let remaining = Number.POSITIVE_INFINITY;
    for (; step < 40 && remaining > 0; step++) {
      const isOldIsolateAlive = step < 3;
      const holder = holders[step % holders.length]!;
      const [pass, ...writes] = await Promise.all([
        ops('POST', '/rewrap?batch_size=2'),
        onNewKeys('POST', '/auth/signup', { body: signupBody() }),
        issueCard(onNewKeys, holder),
        ...(isOldIsolateAlive
          ? [
              onOldKeys('POST', '/auth/signup', { body: signupBody() }),
              issueCard(onOldKeys, holders[(step + 3) % holders.length]!),
            ]
          : []),
      ]);
      expect(pass.status).toBe(200);
      expect(writes.map((write) => write.status)).toEqual(writes.map(() => 201));
      await expectEveryRowReadable(getConfig(ROTATED_ENV));
      remaining = isOldIsolateAlive ? 1 : pass.body.status.rows_on_old_keys;
    }
    expect(remaining).toBe(0);
    expect(step).toBeGreaterThan(3);

    const status = await ops('GET', '/status');
    expect(status.body.rows_on_old_keys).toBe(0);
    expect(status.body.missing_key_ids).toEqual([]);
    const rows = Object.fromEntries(
      status.body.key_encryption_keys.map((use: { key_id: string; rows: number }) => [
        use.key_id,
        use.rows,
      ]),
    );
    expect(rows.k1).toBe(0);
    expect(rows.k0).toBe(0);
    for (const keyId of ['k1', 'k0']) {
      const check = await ops('GET', `/retire-check?kind=key_encryption_key&key_id=${keyId}`);
      expect(check.status).toBe(200);
      expect(check.body.can_retire).toBe(true);
    }
    // Recovery codes are kept only as keyed hashes, so the job cannot move them: the ten unused
    // codes of the enrolled holder still hold b0, and the check says so.
    expect(status.body.recovery_codes_on_old_keys).toBe(10);
    const blindCheck = await ops('GET', '/retire-check?kind=blind_index_key&key_id=b0');
    expectProblem(blindCheck, 409, 'key-still-in-use');
    expect(blindCheck.body.detail).toContain('10 stored rows');

    // With the old keys gone from both rings, every row still opens and matches.
    const after = await expectEveryRowReadable(getConfig(RETIRED_ENV));
    expect(after).toBeGreaterThan(before);
    const ready = await apiWithEnv(RETIRED_ENV)('GET', 'https://bank.test/health/ready');
    expect(ready.status).toBe(200);
  });

  it('stops after a bounded pass and resumes where it stopped, doing nothing twice', async () => {
    await Promise.all(Array.from({ length: 5 }, holderWithCard));
    const first = await ops('POST', '/rewrap?batch_size=2');
    expect(first.status).toBe(200);
    expect(first.body.data_keys_rewrapped).toBe(2);
    expect(first.body.blind_indexes_recomputed).toBe(4);
    const leftAfterFirst = first.body.status.rows_on_old_keys;
    expect(leftAfterFirst).toBeGreaterThan(0);
    await expectEveryRowReadable(getConfig(ROTATED_ENV));

    // The job keeps no cursor: the next pass, from any isolate, picks up what is left.
    let left = leftAfterFirst;
    for (let pass = 0; pass < 20 && left > 0; pass++) {
      const next = await ops('POST', '/rewrap?batch_size=2');
      expect(next.body.status.rows_on_old_keys).toBeLessThan(left);
      left = next.body.status.rows_on_old_keys;
    }
    expect(left).toBe(0);
    const passesBeforeIdle = await countAuditEvents('key_rewrap_pass');
    const idle = await ops('POST', '/rewrap?batch_size=2');
    expect(idle.body).toMatchObject({
      data_keys_rewrapped: 0,
      legacy_values_resealed: 0,
      blind_indexes_recomputed: 0,
      failed: 0,
    });
    // Every operator pass is audited, an idle one too, and names no holder.
    expect(await countAuditEvents('key_rewrap_pass')).toBe(passesBeforeIdle + 1);
  });

  it('refuses to retire a key still in use, and reports a key removed too early', async () => {
    const holder = await holderWithCard();
    const check = await ops('GET', '/retire-check?kind=key_encryption_key&key_id=k1');
    expectProblem(check, 409, 'key-still-in-use');
    expect(check.body.detail).toContain('k1');
    expectProblem(
      await ops('GET', '/retire-check?kind=key_encryption_key&key_id=k2'),
      409,
      'key-still-in-use',
    );
    expectProblem(
      await ops('GET', '/retire-check?kind=blind_index_key&key_id=b0'),
      409,
      'key-still-in-use',
    );

    // An operator who removes k1 anyway sees it at once, named, and no request leaks a 500.
    const early = apiWithEnv(RETIRED_ENV);
    const ready = await early('GET', 'https://bank.test/health/ready');
    expectProblem(ready, 503);
    // Public: no key id in the answer, only in the log and the operator status.
    expect(ready.body.detail).not.toContain('k1');
    expect(capturedLogLines.join('\n')).toContain('"reason":"missing:k1"');
    expect(ready.text).not.toContain(env.FIELD_ENCRYPTION_KEYS.split(',')[0]!.split(':')[1]!);
    const status = await ops('GET', '/status', early);
    expect(status.body.missing_key_ids).toContain('k1');
    expectProblem(await issueCard(early, holder), 503);
  });

  it('keeps SSN uniqueness across blind index keys while they rotate', async () => {
    const body = signupBody();
    expect((await api('POST', '/auth/signup', { body })).status).toBe(201);
    const again = { ...body, email: `other.${body.email}` };
    expectProblem(await onNewKeys('POST', '/auth/signup', { body: again }), 409);
    for (let pass = 0; pass < 20; pass++) {
      const result = await ops('POST', '/rewrap?batch_size=50');
      if (result.body.status.rows_on_old_keys === 0) break;
    }
    expectProblem(await onNewKeys('POST', '/auth/signup', { body: again }), 409);
    expectProblem(await onOldKeys('POST', '/auth/signup', { body: again }), 409);
  });
});

describe('scheduled rewrap', () => {
  it('moves data keys onto the current KEK on each cron run', async () => {
    const holders = await Promise.all(Array.from({ length: 3 }, holderWithCard));
    const onK1 = `SELECT COUNT(*) AS total FROM holder_data_keys WHERE kek_id = 'k1'
                   AND holder_id IN (?, ?, ?)`;
    const countOnK1 = async () =>
      (
        await env.DB.prepare(onK1)
          .bind(...holders.map((holder) => holder.holderId))
          .first<{ total: number }>()
      )?.total;
    expect(await countOnK1()).toBe(3);

    const controller = createScheduledController({ scheduledTime: Date.now() });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, ROTATED_ENV, ctx);
    await waitOnExecutionContext(ctx);

    expect(await countOnK1()).toBe(0);
    await expectEveryRowReadable(getConfig(ROTATED_ENV));
  });

  it('audits a cron pass that moved keys, and not one that found nothing to move', async () => {
    await holderWithCard();
    const passes = () => countAuditEvents('key_rewrap_pass');
    const runCron = async () => {
      const ctx = createExecutionContext();
      const controller = createScheduledController({ scheduledTime: Date.now() });
      await worker.scheduled(controller, ROTATED_ENV, ctx);
      await waitOnExecutionContext(ctx);
    };
    for (let run = 0; run < 20; run++) {
      const status = await ops('GET', '/status');
      if (status.body.rows_on_old_keys === 0) break;
      await runCron();
    }
    const afterMoving = await passes();
    expect(afterMoving).toBeGreaterThan(0);
    await runCron();
    expect(await passes()).toBe(afterMoving);
  });
});

async function countAuditEvents(type: string, holderId: string | null = null): Promise<number> {
  const row = await env.DB.prepare(
    `SELECT COUNT(*) AS total FROM audit_events
      WHERE type = ? AND outcome = 'success' AND holder_id IS ?`,
  )
    .bind(type, holderId)
    .first<{ total: number }>();
  return row?.total ?? 0;
}

describe('data key replacement', () => {
  it('re-seals every value of the holder under a new key while cards are issued', async () => {
    const holder = await holderWithCard();
    const oldKeys = await holderFieldKeys(holder.holderId);
    const [replaced, ...issued] = await Promise.all([
      ops('POST', `/holders/${holder.holderId}/replace-data-key`, onOldKeys),
      issueCard(onOldKeys, holder),
      issueCard(onOldKeys, holder),
      issueCard(onOldKeys, holder),
    ]);
    expect(replaced.status).toBe(200);
    expect(replaced.body.data_key_version).toBe(2);
    expect(issued.map((card) => card.status)).toEqual([201, 201, 201]);

    const cards = await env.DB.prepare(
      'SELECT id, number_ciphertext FROM cards WHERE holder_id = ?',
    )
      .bind(holder.holderId)
      .all<{ id: string; number_ciphertext: string }>();
    expect(cards.results.length).toBe(4);
    const newKeys = await holderFieldKeys(holder.holderId);
    expect(newKeys.dataKey?.version).toBe(2);
    for (const card of cards.results) {
      expect(card.number_ciphertext.startsWith('v2.2.')).toBe(true);
      const context = { table: 'cards', column: 'number', rowId: card.id };
      expect(isLuhnValid(await decryptField(newKeys, context, card.number_ciphertext))).toBe(true);
      await expect(decryptField(oldKeys, context, card.number_ciphertext)).rejects.toThrow();
    }
    await expectEveryRowReadable(getConfig(ROTATED_ENV));
    expect(await countAuditEvents('data_key_replaced', holder.holderId)).toBe(1);
  });

  it('audits every replacement with its outcome, contended ones included', async () => {
    const holder = await holderWithCard();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => ops('POST', `/holders/${holder.holderId}/replace-data-key`)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    const succeeded = statuses.filter((status) => status === 200).length;
    expect(await countAuditEvents('data_key_replaced', holder.holderId)).toBe(succeeded);
    const failed = await env.DB.prepare(
      `SELECT COUNT(*) AS total FROM audit_events
        WHERE type = 'data_key_replaced' AND outcome = 'failure' AND holder_id = ?`,
    )
      .bind(holder.holderId)
      .first<{ total: number }>();
    expect(failed?.total).toBe(answers.length - succeeded);
  });

  it('answers 404 for a holder that does not exist', async () => {
    const missing = await ops(
      'POST',
      '/holders/01a23d84-4c1e-73b3-a9e1-20be8b01d9c5/replace-data-key',
    );
    expectProblem(missing, 404);
  });
});

describe('/ops authentication', () => {
  it('accepts only OPS_API_TOKEN, never a holder access token', async () => {
    const customer = await newCustomer();
    const withUserToken = await onOldKeys('GET', 'https://bank.test/ops/keys/status', {
      token: customer.accessToken,
    });
    expectProblem(withUserToken, 401);
    expectProblem(await onOldKeys('GET', 'https://bank.test/ops/keys/status'), 401);
    const wrong = await onOldKeys('GET', 'https://bank.test/ops/keys/status', {
      headers: { Authorization: `Bearer ${env.OPS_API_TOKEN}x` },
    });
    expectProblem(wrong, 401);
    expect((await ops('GET', '/status', onOldKeys)).status).toBe(200);
  });

  it('answers 404 for every method when OPS_API_TOKEN is not set', async () => {
    const closed = apiWithEnv(envWith({ OPS_API_TOKEN: undefined }));
    for (const method of ['GET', 'POST', 'DELETE']) {
      const response = await closed(method, 'https://bank.test/ops/keys/status', {
        headers: OPS_HEADERS,
      });
      expectProblem(response, 404);
    }
  });

  it('answers 404 to a retire check of a key id neither the ring nor a row holds', async () => {
    const typo = await ops('GET', '/retire-check?kind=key_encryption_key&key_id=K1');
    expectProblem(typo, 404, 'not-found');
    expect(typo.body.detail).toContain('K1');
    expectProblem(await ops('GET', '/retire-check?kind=key_encryption_key&key_id=b0'), 404);
  });

  it('refuses a batch size over the maximum with 422', async () => {
    for (const query of ['201', '0', '-1', '1.5', '99999', 'abcdef', '-1000', '5&batch_size=6']) {
      const refused = await ops('POST', `/rewrap?batch_size=${query}`);
      expectProblem(refused, 422, 'validation-failed');
      expect(refused.body.errors).toEqual([
        { path: 'batch_size', message: 'batch_size must be a whole number from 1 to 200' },
      ]);
    }
  });
});
