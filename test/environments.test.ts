import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../src/app';
import { parseConfig } from '../src/config';
import type { Env } from '../src/env';

const environments = env.TEST_WRANGLER_ENVIRONMENTS;
const development = environments.find((entry) => entry.environment === 'development')!;
const deployed = environments.filter((entry) => entry.environment !== 'development');

const bindingNames = (entry: (typeof environments)[number]) =>
  [
    ...entry.d1.map(({ binding }) => binding),
    ...entry.kv.map(({ binding }) => binding),
    ...entry.durableObjects.map(({ name }) => name),
  ].sort();

/** The environment's own vars over the test bindings and secrets, as its Worker would see them. */
function envOf(entry: (typeof environments)[number]): Env {
  return { ...env, ...(entry.vars as Record<string, string>) } as Env;
}

describe('wrangler.toml environments', () => {
  it('defines development at the top level, then staging and production', () => {
    expect(environments.map((entry) => entry.environment)).toEqual([
      'development',
      'staging',
      'production',
    ]);
    for (const entry of environments) expect(entry.vars.ENVIRONMENT).toBe(entry.environment);
  });

  it('gives every environment the same bindings, to data of its own', () => {
    for (const entry of deployed) {
      expect(bindingNames(entry)).toEqual(bindingNames(development));
      expect(entry.durableObjects).toEqual(development.durableObjects);
    }
    const workerNames = environments.map((entry) => entry.workerName);
    const databases = environments.flatMap((entry) => entry.d1.map(({ name, id }) => name + id));
    const namespaces = environments.flatMap((entry) => entry.kv.map(({ id }) => id));
    // Durable Objects belong to their Worker, so distinct Worker names keep them apart too.
    expect(new Set(workerNames).size).toBe(environments.length);
    expect(new Set(databases).size).toBe(databases.length);
    expect(new Set(namespaces).size).toBe(namespaces.length);
  });

  it('answers on no workers.dev address and no preview URL', () => {
    for (const entry of environments) expect(entry.publicUrls).toBe(false);
  });

  it('runs the cleanup cron everywhere', () => {
    for (const entry of environments) expect(entry.crons).toEqual(development.crons);
  });

  it('sends mail, observes and allows only https origins where customers are', () => {
    for (const entry of deployed) {
      expect(entry.sendEmail).toEqual(['MAILER']);
      expect(entry.vars.MAIL_FROM).toMatch(/^[^@\s]+@[^@\s]+$/);
      expect(entry.vars.PUBLIC_APP_ORIGIN).toMatch(/^https:\/\//);
      expect(entry.observability).toBe(true);
      expect(entry.minify).toBe(true);
      const origins = parseConfig(envOf(entry)).corsOrigins;
      expect(origins.length).toBeGreaterThan(0);
      for (const origin of origins) expect(origin).toMatch(/^https:\/\//);
    }
  });

  it('keeps token issuers apart, so a staging token is no production token', () => {
    const [staging, production] = deployed.map((entry) => parseConfig(envOf(entry)).jwt);
    expect(staging!.issuer).not.toBe(production!.issuer);
    expect(staging!.audience).not.toBe(production!.audience);
  });

  it('has vars every environment parses into a valid configuration', () => {
    for (const entry of environments) {
      expect(parseConfig(envOf(entry)).environment).toBe(entry.environment);
    }
  });

  it('serves production over https only, without the development outbox', async () => {
    const production = envOf(deployed.find((entry) => entry.environment === 'production')!);
    const app = createApp();
    const headers = { 'CF-Connecting-IP': '203.0.113.60' };
    const plain = await app.request(
      'http://api.invisible-bank.dev/health',
      { headers },
      production,
    );
    expect(plain.status).toBe(403);
    await plain.text();
    const secure = await app.request(
      'https://api.invisible-bank.dev/health',
      { headers },
      production,
    );
    expect(secure.status).toBe(200);
    await secure.text();
    const outbox = await app.request(
      'https://api.invisible-bank.dev/dev/outbox',
      { headers },
      production,
    );
    expect(outbox.status).toBe(404);
    await outbox.text();
  });
});
