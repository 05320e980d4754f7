import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { DOCS_SCRIPT_PATH } from '../../src/routes/docs';

async function fetchDocs() {
  const response = await SELF.fetch('https://bank.test/docs');
  return { response, html: await response.text() };
}

function directives(policy: string): Map<string, string> {
  return new Map(
    policy.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/);
      return [name, values.join(' ')];
    }),
  );
}

describe('GET /docs', () => {
  it('serves the reference page, pointed at /openapi.json and the bundled script', async () => {
    const { response, html } = await fetchDocs();
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('text/html; charset=UTF-8');
    expect(html).toContain(`<script src="${DOCS_SCRIPT_PATH}"`);
    expect(html).toContain('"url": "/openapi.json"');
    expect(html).toContain('"withDefaultFonts": false');
    expect(html).toContain('"telemetry": false');
    // Nothing is loaded from another origin: every URL in the page is a path on this one.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain('cdn.jsdelivr.net');
  });

  it('allows only its own scripts and styles, the inline ones by a fresh nonce', async () => {
    const first = await fetchDocs();
    const policy = directives(first.response.headers.get('Content-Security-Policy') ?? '');
    const nonce = /'nonce-([A-Za-z0-9_-]{22})'/.exec(policy.get('script-src') ?? '')?.[1];
    expect(nonce).toBeDefined();
    expect(policy.get('default-src')).toBe("'none'");
    expect(policy.get('script-src')).toBe(`'self' 'nonce-${nonce}'`);
    expect(policy.get('style-src')).toBe(`'self' 'nonce-${nonce}'`);
    expect(policy.get('style-src-attr')).toBe("'unsafe-inline'");
    expect(policy.get('connect-src')).toBe("'self'");
    for (const [name, value] of policy) {
      expect(value, name).not.toMatch(/unsafe-eval|https?:|\*/);
      if (name !== 'style-src-attr') expect(value, name).not.toContain('unsafe-inline');
    }
    expect(policy.get('frame-ancestors')).toBe("'none'");
    const inlineScripts = first.html.match(/<script(?![^>]*\bsrc=)[^>]*>/g) ?? [];
    expect(inlineScripts.length).toBeGreaterThan(0);
    for (const tag of inlineScripts) expect(tag).toContain(`nonce="${nonce}"`);

    const second = await fetchDocs();
    expect(second.response.headers.get('Content-Security-Policy')).not.toContain(nonce);
  });

  it('leaves the strict policy on every other response', async () => {
    const response = await SELF.fetch('https://bank.test/openapi.json');
    await response.text();
    expect(response.headers.get('Content-Security-Policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
  });

  it('serves the reference script from the static assets', async () => {
    const response = await SELF.fetch(`https://bank.test${DOCS_SCRIPT_PATH}`);
    const script = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^(application|text)\/javascript/);
    expect(script.length).toBeGreaterThan(1_000_000);
  });

  it('answers a missing asset with the problem+json 404 of any unknown path', async () => {
    const response = await SELF.fetch('https://bank.test/docs/assets/no-such-file.js');
    expect(response.status).toBe(404);
    expect(response.headers.get('Content-Type')).toBe('application/problem+json; charset=utf-8');
    expect((await response.json<any>()).type).toBe('https://invisible-bank.dev/problems/not-found');
  });

  it('answers the unknown-path 404 in production, for the page and its script', async () => {
    const app = createApp();
    for (const path of ['/docs', DOCS_SCRIPT_PATH]) {
      const response = await app.request(
        `https://bank.test${path}`,
        {},
        { ...env, ENVIRONMENT: 'production' },
      );
      expect(response.status, path).toBe(404);
      expect((await response.json<any>()).type).toBe(
        'https://invisible-bank.dev/problems/not-found',
      );
    }
  });
});
