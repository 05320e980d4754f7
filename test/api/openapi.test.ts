import { Validator } from '@cfworker/json-schema';
import oas31Schema from '@seriousme/openapi-schema-validator/schemas/v3.1/schema.json';
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;
const PUBLIC_OPERATIONS = [
  'GET /.well-known/jwks.json',
  'GET /docs',
  'GET /health',
  'GET /health/ready',
  'GET /openapi.json',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/mfa/verify',
  'POST /api/v1/auth/password/forgot',
  'POST /api/v1/auth/password/reset',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/signup',
];
const MONEY_OPERATIONS = [
  'POST /api/v1/transactions/deposit',
  'POST /api/v1/transactions/transfer',
  'POST /api/v1/transactions/withdraw',
];

async function fetchDocument(): Promise<any> {
  const response = await SELF.fetch('https://bank.test/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
  return response.json();
}

/** Every operation of the document as "METHOD /path", with the operation object. */
function operationsOf(document: any): Map<string, any> {
  const operations = new Map<string, any>();
  for (const [path, item] of Object.entries<any>(document.paths)) {
    for (const method of METHODS) {
      if (item[method]) operations.set(`${method.toUpperCase()} ${path}`, item[method]);
    }
  }
  return operations;
}

/** Every route the app mounts, as "METHOD /path" with `{id}` for Hono's `:id`. */
function mountedRoutes(): Set<string> {
  const routes = new Set<string>();
  for (const route of createApp().routes) {
    // Middleware registered with `use` is listed under ALL; /dev and /bench are not the API.
    if (route.method === 'ALL') continue;
    if (/^\/(dev|bench)(\/|$)/.test(route.path)) continue;
    // The reference page's own script, passed on to the static assets: part of /docs.
    if (route.path === '/docs/assets/*') continue;
    routes.add(`${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
  }
  return routes;
}

function resolve(document: any, value: any): any {
  if (typeof value?.$ref !== 'string') return value;
  const path = value.$ref.replace(/^#\//, '').split('/');
  return path.reduce((node: any, key: string) => node[key], document);
}

describe('GET /openapi.json', () => {
  it('describes exactly the mounted routes, with their methods', async () => {
    const documented = [...operationsOf(await fetchDocument()).keys()].sort();
    const mounted = [...mountedRoutes()].sort();
    expect(mounted.length).toBeGreaterThan(30);
    expect(documented).toEqual(mounted);
  });

  it('validates against the OpenAPI 3.1 schema', async () => {
    const document = await fetchDocument();
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    const result = new Validator(oas31Schema as object, '2020-12', false).validate(document);
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('fails validation of a document with a broken operation, so the check can fail', async () => {
    const document = await fetchDocument();
    document.paths['/health'].get.responses = 'none';
    const result = new Validator(oas31Schema as object, '2020-12', false).validate(document);
    expect(result.valid).toBe(false);
  });

  it('declares the bearer and operator schemes, and security [] on public routes', async () => {
    const document = await fetchDocument();
    expect(document.components.securitySchemes.bearerAuth).toEqual({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: expect.any(String),
    });
    expect(document.components.securitySchemes.opsToken).toEqual({
      type: 'http',
      scheme: 'bearer',
      description: expect.any(String),
    });
    const publicOperations: string[] = [];
    for (const [key, operation] of operationsOf(document)) {
      const scheme = key.split(' ')[1]!.startsWith('/ops/') ? 'opsToken' : 'bearerAuth';
      if (operation.security.length === 0) publicOperations.push(key);
      else expect(operation.security, key).toEqual([{ [scheme]: [] }]);
    }
    expect(publicOperations.sort()).toEqual(PUBLIC_OPERATIONS);
  });

  it('declares the optional Idempotency-Key header on the money-moving POSTs only', async () => {
    const document = await fetchDocument();
    const withKey: string[] = [];
    for (const [key, operation] of operationsOf(document)) {
      const parameters = (operation.parameters ?? []).map((item: any) => resolve(document, item));
      const header = parameters.find((item: any) => item.name === 'Idempotency-Key');
      if (!header) continue;
      withKey.push(key);
      expect(header.in).toBe('header');
      expect(header.required ?? false).toBe(false);
      expect(header.schema.pattern).toBe('^[\\x21-\\x7E]{1,255}$');
    }
    expect(withKey.sort()).toEqual(MONEY_OPERATIONS);
  });

  it('gives every operation a tag, 429 and 503 but on /health, problem+json errors', async () => {
    const document = await fetchDocument();
    const tags = document.tags.map((tag: any) => tag.name);
    expect(tags).toEqual([
      'Auth',
      'Account holders',
      'Accounts',
      'Transactions',
      'Cards',
      'Statements',
      'Operations',
      'Key management',
    ]);
    for (const [key, operation] of operationsOf(document)) {
      expect(operation.tags, key).toHaveLength(1);
      expect(tags, key).toContain(operation.tags[0]);
      const limited = key === 'GET /health' ? [] : ['429', '503'];
      const statuses = Object.keys(operation.responses);
      expect(
        statuses.filter((status) => ['429', '503'].includes(status)),
        key,
      ).toEqual(limited);
      for (const [status, reference] of Object.entries<any>(operation.responses)) {
        const response = resolve(document, reference);
        if (Number(status) < 400) continue;
        expect(Object.keys(response.content), `${key} ${status}`).toEqual([
          'application/problem+json',
        ]);
        const schema = response.content['application/problem+json'].schema;
        expect(schema, `${key} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
      }
    }
  });

  it('describes request bodies, parameters and responses with their schemas', async () => {
    const document = await fetchDocument();
    const operations = operationsOf(document);

    const transfer = operations.get('POST /api/v1/transactions/transfer');
    const body = transfer.requestBody.content['application/json'];
    expect(transfer.requestBody.required).toBe(true);
    expect(body.schema.required).toEqual([
      'from_account_id',
      'to_routing_number',
      'to_account_number',
      'amount',
    ]);
    expect(body.schema.additionalProperties).toBe(false);
    expect(body.example.to_routing_number).toBe('021000021');
    expect(Object.keys(transfer.responses).sort()).toEqual(
      ['201', '400', '401', '404', '409', '413', '415', '422', '429', '503'].sort(),
    );
    expect(transfer.responses['201'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Transaction',
    });

    const list = operations.get('GET /api/v1/transactions');
    const query = list.parameters.filter((item: any) => item.in === 'query');
    expect(query.map((item: any) => item.name).sort()).toEqual(
      ['account_id', 'cursor', 'direction', 'from', 'limit', 'max_amount', 'min_amount', 'q']
        .concat(['to', 'type'])
        .sort(),
    );

    const getAccount = operations.get('GET /api/v1/accounts/{id}');
    expect(getAccount.parameters).toEqual([
      expect.objectContaining({ in: 'path', name: 'id', required: true }),
    ]);
    const account = document.components.schemas.Account;
    expect(account.properties.balance.pattern).toBe('^\\d{1,10}\\.\\d{2}$');
  });

  it('answers 405 with Allow to another method', async () => {
    const response = await SELF.fetch('https://bank.test/openapi.json', { method: 'POST' });
    await response.text();
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('GET, HEAD');
  });

  it('answers the unknown-path 404 in production, for every method', async () => {
    const app = createApp();
    for (const method of ['GET', 'POST']) {
      const response = await app.request(
        'https://bank.test/openapi.json',
        { method },
        { ...env, ENVIRONMENT: 'production' },
      );
      expect(response.status).toBe(404);
      expect((await response.json<any>()).type).toBe(
        'https://invisible-bank.dev/problems/not-found',
      );
    }
  });
});
