import { env } from 'cloudflare:test';
import { getTableConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { getDb } from '../../src/db/client';
import { buildMovementBatch, type Movement } from '../../src/db/movements';
import * as schema from '../../src/db/schema';
import { applyDebit, applyGroup } from '../../src/durable/account-ledger';
import { newId } from '../../src/lib/ids';
import { api, newCustomer } from '../helpers';
import { expectLedgerInvariants } from '../ledger';

const NOW_MS = Date.parse('2026-12-03T12:00:00.000Z');

async function fundedAccount(amount: string) {
  const customer = await newCustomer();
  const account = await api('POST', '/accounts', {
    token: customer.accessToken,
    body: { account_type: 'checking' },
  });
  await api('POST', '/transactions/deposit', {
    token: customer.accessToken,
    body: { account_id: account.body.id, amount },
  });
  const holder = await api('GET', '/account-holders/me', { token: customer.accessToken });
  return { accountId: account.body.id as string, holderId: holder.body.id as string };
}

function transferMovement(input: {
  from: { accountId: string; holderId: string };
  to: { accountId: string; holderId: string };
  amountMinor: number;
}): Movement {
  return {
    movementId: newId(NOW_MS),
    type: 'transfer',
    amountMinor: input.amountMinor,
    description: null,
    nowMs: NOW_MS,
    counterLedger: null,
    idempotency: null,
    legs: [
      {
        transactionId: newId(NOW_MS),
        accountId: input.from.accountId,
        holderId: input.from.holderId,
        direction: 'debit',
        status: 'posted',
        peerRoutingNumber: '123456789',
        peerAccountNumber: '1000000000',
      },
      {
        transactionId: newId(NOW_MS),
        accountId: input.to.accountId,
        holderId: input.to.holderId,
        direction: 'credit',
        status: 'posted',
        peerRoutingNumber: '123456789',
        peerAccountNumber: '1000000001',
      },
    ],
  };
}

async function balanceMinor(accountId: string): Promise<number> {
  const row = await env.DB.prepare('SELECT balance_minor FROM accounts WHERE id = ?')
    .bind(accountId)
    .first<{ balance_minor: number }>();
  return row?.balance_minor ?? -1;
}

async function rowsOfMovement(movementId: string): Promise<number> {
  const row = await env.DB.prepare(
    `SELECT (SELECT COUNT(*) FROM ledger_entries WHERE movement_id = ?1)
          + (SELECT COUNT(*) FROM transactions WHERE transfer_id = ?1) AS n`,
  )
    .bind(movementId)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

describe('movement batches', () => {
  it('roll back every statement when the last one fails', async () => {
    const from = await fundedAccount('50.00');
    const to = await fundedAccount('5.00');
    const db = getDb(env.DB);
    const movement = transferMovement({ from, to, amountMinor: 1000 });
    const batch = buildMovementBatch(db, movement);
    // A duplicate primary key: the last statement of the batch fails after all the others ran.
    const failing = db.insert(schema.ledgerEntries).values({
      id: 'duplicate',
      movementId: movement.movementId,
      transactionId: movement.legs[0]!.transactionId,
      ledger: 'cash',
      accountId: null,
      amountMinor: 1,
      createdAt: 'now',
      updatedAt: 'now',
    });
    await expect(db.batch([...batch, failing, failing])).rejects.toThrow();
    expect(await balanceMinor(from.accountId)).toBe(5000);
    expect(await balanceMinor(to.accountId)).toBe(500);
    expect(await rowsOfMovement(movement.movementId)).toBe(0);
  });

  it('abort when a debit would go below zero, through the CHECK constraint', async () => {
    const from = await fundedAccount('5.00');
    const to = await fundedAccount('5.00');
    const db = getDb(env.DB);
    const movement = transferMovement({ from, to, amountMinor: 501 });
    await expect(db.batch(buildMovementBatch(db, movement))).rejects.toThrow(/CHECK constraint/);
    expect(await balanceMinor(from.accountId)).toBe(500);
    expect(await rowsOfMovement(movement.movementId)).toBe(0);
  });

  it('abort when a debit’s UPDATE matches no row, writing no transaction or entry', async () => {
    const from = await fundedAccount('50.00');
    const to = await fundedAccount('5.00');
    const db = getDb(env.DB);
    // The wrong owner: the guarded UPDATE changes nothing, which alone would not be an error.
    const movement = transferMovement({
      from: { accountId: from.accountId, holderId: to.holderId },
      to,
      amountMinor: 100,
    });
    await expect(db.batch(buildMovementBatch(db, movement))).rejects.toThrow(/NOT NULL/);
    expect(await balanceMinor(from.accountId)).toBe(5000);
    expect(await balanceMinor(to.accountId)).toBe(500);
    expect(await rowsOfMovement(movement.movementId)).toBe(0);
  });
});

describe('AccountLedger debit', () => {
  it('applies a movement once when it is retried with the same ids', async () => {
    const from = await fundedAccount('50.00');
    const to = await fundedAccount('0.01');
    const db = getDb(env.DB);
    const movement = transferMovement({ from, to, amountMinor: 700 });
    const first = await applyDebit(db, movement);
    const retry = await applyDebit(db, movement);
    expect(first.ok && first.transaction.id).toBe(movement.legs[0]!.transactionId);
    expect(first.ok && first.transaction.balanceAfterMinor).toBe(4300);
    expect(retry).toEqual(first);
    expect(await balanceMinor(from.accountId)).toBe(4300);
    expect(await balanceMinor(to.accountId)).toBe(701);
    await expectLedgerInvariants();
  });

  it('answers a refusal code for the wrong owner instead of throwing', async () => {
    const from = await fundedAccount('50.00');
    const to = await fundedAccount('1.00');
    const result = await applyDebit(
      getDb(env.DB),
      transferMovement({ from: { ...from, holderId: to.holderId }, to, amountMinor: 1 }),
    );
    expect(result).toEqual({ ok: false, code: 'account_not_found' });
  });
});

describe('AccountLedger group commit', () => {
  it('commits several movements in one batch, each seeing the balance before it', async () => {
    const from = await fundedAccount('10.00');
    const to = await fundedAccount('0.01');
    const movements = [400, 500, 100].map((amountMinor) =>
      transferMovement({ from, to, amountMinor }),
    );
    const rows = await applyGroup(getDb(env.DB), movements);
    expect(rows?.map((row) => row.balanceAfterMinor)).toEqual([600, 100, 0]);
    expect(await balanceMinor(from.accountId)).toBe(0);
    await expectLedgerInvariants();
  });

  it('writes nothing and answers null when one movement of the group is refused', async () => {
    const from = await fundedAccount('10.00');
    const to = await fundedAccount('0.01');
    const movements = [400, 700, 100].map((amountMinor) =>
      transferMovement({ from, to, amountMinor }),
    );
    expect(await applyGroup(getDb(env.DB), movements)).toBeNull();
    expect(await balanceMinor(from.accountId)).toBe(1000);
    for (const movement of movements) expect(await rowsOfMovement(movement.movementId)).toBe(0);
  });
});

describe('schema', () => {
  it('refuses a negative balance in the database itself', async () => {
    const table = await env.DB.prepare(
      "SELECT sql FROM sqlite_master WHERE name = 'accounts'",
    ).first<{
      sql: string;
    }>();
    expect(table?.sql).toContain('CHECK (balance_minor >= 0)');
  });

  it('stores the largest safe integer of cents unchanged', async () => {
    const { accountId } = await fundedAccount('1.00');
    await env.DB.prepare('UPDATE accounts SET balance_minor = ? WHERE id = ?')
      .bind(Number.MAX_SAFE_INTEGER, accountId)
      .run();
    expect(await balanceMinor(accountId)).toBe(9007199254740991);
  });

  it('matches the drizzle tables column for column', async () => {
    const tables = [
      schema.accountHolders,
      schema.sessions,
      schema.accounts,
      schema.transactions,
      schema.ledgerEntries,
      schema.idempotencyKeys,
      schema.cards,
      schema.mfaFactors,
      schema.mfaRecoveryCodes,
      schema.mfaChallenges,
      schema.holderDataKeys,
      schema.batchGuards,
    ];
    for (const table of tables) {
      const config = getTableConfig(table);
      const columns = await env.DB.prepare(`SELECT name, type, "notnull" FROM pragma_table_info(?)`)
        .bind(config.name)
        .all<{ name: string; type: string; notnull: number }>();
      const expected = config.columns.map((column) => [
        column.name,
        column.getSQLType().toUpperCase(),
        column.notNull ? 1 : 0,
      ]);
      const actual = columns.results.map((column) => [column.name, column.type, column.notnull]);
      expect(actual.sort()).toEqual(expected.sort());
    }
  });

  it('keeps money in INTEGER columns, never REAL', () => {
    for (const table of [schema.accounts, schema.transactions, schema.ledgerEntries]) {
      for (const column of getTableConfig(table).columns) {
        if (column.name.endsWith('_minor')) expect(column.getSQLType()).toBe('integer');
      }
    }
  });
});

describe('source guards', () => {
  const sources = import.meta.glob('../../src/**/*.ts', {
    query: '?raw',
    import: 'default',
    eager: true,
  });

  it('never calls transaction() on a database handle: D1 refuses BEGIN', () => {
    const offenders = Object.entries(sources)
      .filter(([, text]) => /\.transaction\(/.test(String(text)))
      .map(([path]) => path);
    expect(Object.keys(sources).length).toBeGreaterThan(20);
    expect(offenders).toEqual([]);
  });

  it('calls crypto.subtle.encrypt only in the field encryption module', () => {
    const offenders = Object.entries(sources)
      .filter(([, text]) => String(text).includes('crypto.subtle.encrypt'))
      .map(([path]) => path);
    expect(offenders).toEqual(['../../src/crypto/fields.ts']);
  });

  it('imports @hono/zod-validator only in the validation wrapper', () => {
    const offenders = Object.entries(sources)
      .filter(([, text]) => String(text).includes("from '@hono/zod-validator'"))
      .map(([path]) => path);
    expect(offenders).toEqual(['../../src/middleware/validate.ts']);
  });
});
