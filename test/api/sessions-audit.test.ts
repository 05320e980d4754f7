import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, expectProblem, newCustomer, STRONG_PASSWORD } from '../helpers';
import { capturedLogLines } from '../setup';
import { findChainBreak, type ChainedEvent } from '../../src/lib/audit-chain';
/** An audit_events row as the chain verifier reads it. */
function toChainedEvent(row: Record<string, unknown>): ChainedEvent {
  return {
    seq: row.seq as number,
    id: row.id as string,
    holderId: row.holder_id as string | null,
    sessionId: row.session_id as string | null,
    subjectId: row.subject_id as string | null,
    type: row.type as string,
    outcome: row.outcome as 'success' | 'failure',
    ip: row.ip as string | null,
    createdAt: row.created_at as string,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
  };
}

async function loginAgain(email: string, userAgent: string) {
  const response = await api('POST', '/auth/login', {
    body: { email, password: STRONG_PASSWORD },
    headers: { 'User-Agent': userAgent },
  });
  expect(response.status).toBe(200);
  return response.body as { access_token: string; refresh_token: string };
}

describe('GET /auth/sessions', () => {
  it('lists the caller’s live sessions and marks the current one', async () => {
    const customer = await newCustomer();
    const phone = await loginAgain(customer.email, 'BankApp/1.0 (phone)');
    const response = await api('GET', '/auth/sessions', { token: phone.access_token });
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(2);
    const current = response.body.data.filter((session: { current: boolean }) => session.current);
    expect(current).toHaveLength(1);
    expect(current[0].user_agent).toBe('BankApp/1.0 (phone)');
    expect(Object.keys(current[0]).sort()).toEqual(
      ['created_at', 'current', 'id', 'last_used_at', 'user_agent'].sort(),
    );
  });

  it('keeps 100 live sessions at most: a new login ends the oldest; all are listed', async () => {
    const customer = await newCustomer();
    const first = await api('GET', '/auth/sessions', { token: customer.accessToken });
    const firstSessionId: string = first.body.data[0].id;
    const holderId = (await api('GET', '/account-holders/me', { token: customer.accessToken })).body
      .id;
    // 99 more sessions, older than any login below, written directly: 100 live in all.
    const insert = env.DB.prepare(
      `INSERT INTO sessions (id, holder_id, refresh_jti, last_used_at, expires_at, created_at,
         updated_at) VALUES (?, ?, ?, ?, '2999-01-01T00:00:00.000Z', ?, ?)`,
    );
    await env.DB.batch(
      Array.from({ length: 99 }, (_, index) => {
        const at = `2026-01-01T00:00:${String(index % 60).padStart(2, '0')}.${index + 100}Z`;
        return insert.bind(crypto.randomUUID(), holderId, crypto.randomUUID(), at, at, at);
      }),
    );
    expect(
      (await api('GET', '/auth/sessions?limit=100', { token: customer.accessToken })).body.data,
    ).toHaveLength(100);

    const newest = await loginAgain(customer.email, 'BankApp/2.0');
    const listed = await api('GET', '/auth/sessions?limit=100', { token: newest.access_token });
    expect(listed.body.data).toHaveLength(100);
    expect(listed.body.next_cursor).toBe(null);
    expect(listed.body.data[0].current).toBe(true);
    const ended = await env.DB.prepare(
      "SELECT count(*) AS n FROM sessions WHERE holder_id = ? AND revoked_reason = 'session_cap'",
    )
      .bind(holderId)
      .first<{ n: number }>();
    expect(ended?.n).toBe(1);
    // The signup session is not the oldest (the inserted ones are), so it lives on.
    expect(listed.body.data.map((session: { id: string }) => session.id)).toContain(firstSessionId);
  });

  it('pages newest first with limit and cursor, each session once', async () => {
    const customer = await newCustomer();
    await loginAgain(customer.email, 'phone');
    await loginAgain(customer.email, 'laptop');
    const first = await api('GET', '/auth/sessions?limit=2', { token: customer.accessToken });
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await api(
      'GET',
      `/auth/sessions?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`,
      { token: customer.accessToken },
    );
    expect(second.body.data).toHaveLength(1);
    expect(second.body.next_cursor).toBe(null);

    const listed: { id: string; created_at: string; user_agent: string | null }[] = [
      ...first.body.data,
      ...second.body.data,
    ];
    expect(new Set(listed.map((session) => session.id)).size).toBe(3);
    expect(listed.map((session) => session.user_agent)).toEqual(
      expect.arrayContaining(['laptop', 'phone']),
    );
    const times = listed.map((session) => session.created_at);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('refuses an out-of-range limit, a bad cursor and unknown parameters, with 422', async () => {
    const customer = await newCustomer();
    for (const query of ['limit=0', 'limit=101', 'cursor=%25%25', 'sort=asc']) {
      const response = await api('GET', `/auth/sessions?${query}`, { token: customer.accessToken });
      expectProblem(response, 422, 'validation-failed');
    }
  });
});

describe('DELETE /auth/sessions/:id', () => {
  it('ends one session: its access and refresh tokens stop working, others go on', async () => {
    const customer = await newCustomer();
    const laptop = await loginAgain(customer.email, 'laptop');
    const sessions = await api('GET', '/auth/sessions', { token: customer.accessToken });
    const laptopSession = sessions.body.data.find(
      (session: { user_agent: string | null }) => session.user_agent === 'laptop',
    );
    const ended = await api('DELETE', `/auth/sessions/${laptopSession.id}`, {
      token: customer.accessToken,
    });
    expect(ended.status).toBe(204);
    expectProblem(await api('GET', '/account-holders/me', { token: laptop.access_token }), 401);
    expectProblem(
      await api('POST', '/auth/refresh', { body: { refresh_token: laptop.refresh_token } }),
      401,
    );
    expect((await api('GET', '/account-holders/me', { token: customer.accessToken })).status).toBe(
      200,
    );
  });

  it('answers 404 for another holder’s session and leaves it working', async () => {
    const owner = await newCustomer();
    const stranger = await newCustomer();
    const ownerSessions = await api('GET', '/auth/sessions', { token: owner.accessToken });
    const response = await api('DELETE', `/auth/sessions/${ownerSessions.body.data[0].id}`, {
      token: stranger.accessToken,
    });
    expectProblem(response, 404, 'not-found');
    expect((await api('GET', '/account-holders/me', { token: owner.accessToken })).status).toBe(
      200,
    );
  });
});

describe('GET /account-holders/me/audit-events', () => {
  it('shows the holder their own security and money events, newest first', async () => {
    const customer = await newCustomer();
    await api('POST', '/auth/login', { body: { email: customer.email, password: 'wrong guess' } });
    const account = await api('POST', '/accounts', {
      token: customer.accessToken,
      body: { account_type: 'checking' },
    });
    await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: { account_id: account.body.id, amount: '5.00' },
    });
    // Money events are appended after the answer is sent; wait for the deposit's.
    let response = await api('GET', '/account-holders/me/audit-events', {
      token: customer.accessToken,
    });
    for (let attempt = 0; attempt < 50 && response.body.data[0]?.type !== 'deposit'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      response = await api('GET', '/account-holders/me/audit-events', {
        token: customer.accessToken,
      });
    }
    expect(response.status).toBe(200);
    expect(
      response.body.data.map((event: { type: string; outcome: string }) => [
        event.type,
        event.outcome,
      ]),
    ).toEqual([
      ['deposit', 'success'],
      ['login_failed', 'failure'],
      ['signup', 'success'],
    ]);
    expect(response.body.data[0].ip).toBe('203.0.113.10');
    expect(Object.keys(response.body.data[0]).sort()).toEqual(
      ['created_at', 'id', 'ip', 'outcome', 'type'].sort(),
    );
  });

  it('pages with a cursor and never shows another holder’s events', async () => {
    const customer = await newCustomer();
    const other = await newCustomer();
    for (let index = 0; index < 3; index++) {
      await api('POST', '/auth/login', { body: { email: customer.email, password: 'wrong' } });
    }
    const first = await api('GET', '/account-holders/me/audit-events?limit=2', {
      token: customer.accessToken,
    });
    expect(first.body.data).toHaveLength(2);
    const second = await api(
      'GET',
      `/account-holders/me/audit-events?limit=2&cursor=${first.body.next_cursor}`,
      { token: customer.accessToken },
    );
    expect(second.body.data).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();
    const ids = [...first.body.data, ...second.body.data].map((event: { id: string }) => event.id);
    expect(new Set(ids).size).toBe(4);
    const theirs = await api('GET', '/account-holders/me/audit-events', {
      token: other.accessToken,
    });
    expect(theirs.body.data.map((event: { type: string }) => event.type)).toEqual(['signup']);
  });

  it('refuses a cursor it did not issue', async () => {
    const customer = await newCustomer();
    const response = await api('GET', '/account-holders/me/audit-events?cursor=abc', {
      token: customer.accessToken,
    });
    expectProblem(response, 422, 'validation-failed');
  });
});

describe('audit_events table', () => {
  it('refuses UPDATE and DELETE in the database itself', async () => {
    await newCustomer();
    await expect(
      env.DB.prepare("UPDATE audit_events SET outcome = 'success'").run(),
    ).rejects.toThrow(/append-only/);
    await expect(env.DB.prepare('DELETE FROM audit_events').run()).rejects.toThrow(/append-only/);
  });

  it('holds no email, name or SSN, and its chain verifies', async () => {
    const customer = await newCustomer();
    const rows = await env.DB.prepare('SELECT * FROM audit_events ORDER BY seq').all();
    const text = JSON.stringify(rows.results);
    expect(text).not.toContain(customer.email);
    expect(text).not.toContain('Ada Lovelace');
    const events = rows.results.map(toChainedEvent);
    expect(events.length).toBeGreaterThan(0);
    expect(await findChainBreak(events)).toBeNull();
  });
});

describe('AuditLog', () => {
  it('keeps one unbroken chain under 60 parallel appends, writing them in groups', async () => {
    const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName('chain'));
    const ids = Array.from({ length: 60 }, (_, index) => `parallel-${index}`);
    const results = await Promise.all(
      ids.map((id) =>
        stub.append({
          id,
          type: 'deposit',
          outcome: 'success',
          holderId: null,
          sessionId: null,
          subjectId: null,
          ip: null,
          nowMs: Date.parse('2026-12-03T12:00:00.000Z'),
        }),
      ),
    );
    expect(new Set(results.map((result) => result.seq)).size).toBe(60);
    const rows = await env.DB.prepare('SELECT * FROM audit_events ORDER BY seq').all();
    const stored = rows.results.map((row) => row.id);
    for (const id of ids) expect(stored).toContain(id);
    const events = rows.results.map(toChainedEvent);
    expect(await findChainBreak(events)).toBeNull();
  });
});

describe('log lines', () => {
  it('are one JSON object each, all carrying the request id', async () => {
    const customer = await newCustomer();
    await api('POST', '/auth/login', { body: { email: customer.email, password: 'wrong' } });
    const account = await api('POST', '/accounts', {
      token: customer.accessToken,
      body: { account_type: 'checking' },
    });
    await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: { account_id: account.body.id, amount: '1.00' },
    });
    const lines = capturedLogLines.map((line) => JSON.parse(line));
    const events = new Set(lines.map((line) => line.event));
    for (const event of ['holder_signed_up', 'login_failed', 'account_opened', 'money_credited']) {
      expect(events).toContain(event);
    }
    const withoutId = lines.filter((line) => typeof line.requestId !== 'string');
    expect(withoutId).toEqual([]);
  });
});
