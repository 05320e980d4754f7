// Browser check of the /docs reference page against a running server, in Debian's Chromium
// driven by playwright-core. Usage: node scripts/browser-check.mjs [base URL, default
// http://127.0.0.1:8787]. Opens /docs, checks that every tag of /openapi.json is rendered as an
// operation group, sends GET /health with the page's own test-request client and expects 200 in
// its response panel, and fails on any console error, page error, failed or refused request, or
// request to another origin. Screenshots go to test-output/docs.png and docs-try-it.png.
// Needs /usr/bin/chromium (apt-get install chromium). Runs on Node 20+.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const baseUrl = (process.argv[2] ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
const origin = new URL(baseUrl).origin;
const CHROMIUM_PATH = '/usr/bin/chromium';
const OUTPUT_DIR = 'test-output';
const STEP_TIMEOUT_MS = 30_000;
// Without the background-networking flags Chromium keeps calling Google's services, and on a
// closed network every one of those calls is a refused connection.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let stepCount = 0;
const problems = [];

async function step(name, run) {
  await run();
  stepCount += 1;
  console.info(`ok   ${name}`);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Records everything that would mean the page is broken or reaches outside this server. */
function watch(page) {
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('data:') && new URL(url).origin !== origin) {
      problems.push(`request to another origin: ${request.method()} ${url}`);
    }
  });
  page.on('requestfailed', (request) => {
    problems.push(
      `request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`,
    );
  });
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
    }
  });
}

async function main() {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  const response = await fetch(`${baseUrl}/openapi.json`, {
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
  const openApi = await response.json();
  const tags = openApi.tags.map((tag) => tag.name);
  const health = openApi.paths['/health'].get;

  const userDataDir = mkdtempSync(join(tmpdir(), 'browser-check-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    watch(page);

    await step('GET /docs renders the reference', async () => {
      await page.goto(`${baseUrl}/docs`, { waitUntil: 'networkidle' });
      await page.getByRole('heading', { name: 'Invisible Bank API' }).first().waitFor();
    });

    for (const tag of tags) {
      await step(`the sidebar has the operation group "${tag}"`, async () => {
        const name = new RegExp(`^(Open|Close) Group - ${escapeRegExp(tag)}$`);
        await page.getByRole('button', { name }).first().waitFor();
      });
    }

    await step(`writes ${OUTPUT_DIR}/docs.png`, async () => {
      await page.screenshot({ path: join(OUTPUT_DIR, 'docs.png') });
    });

    await step('"Test Request" on GET /health shows 200 in the response panel', async () => {
      // The reference renders an operation once it is scrolled to: go there through the sidebar.
      await page.getByRole('button', { name: `Open Group - ${health.tags[0]}` }).click();
      await page.getByText(health.summary, { exact: true }).first().click();
      await page.getByRole('button', { name: 'Test Request (get /health)' }).click();
      const answered = page.waitForResponse(
        (reply) => reply.url() === `${origin}/health` && reply.request().method() === 'GET',
      );
      await page
        .getByRole('button', { name: /Send get request to \/health/ })
        .first()
        .click();
      const reply = await answered;
      if (reply.status() !== 200) throw new Error(`GET /health answered ${reply.status()}`);
      await page.getByText('200 OK', { exact: true }).first().waitFor();
      await page.getByText('"status"').first().waitFor();
      // The panel header cross-fades from "Response" to the status; let it settle for the image.
      await page.waitForTimeout(1000);
      await page.screenshot({ path: join(OUTPUT_DIR, 'docs-try-it.png') });
    });

    await step('no console error, failed request or request to another origin', async () => {
      if (problems.length > 0) throw new Error(problems.join('\n  '));
    });
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

try {
  await main();
  console.info(`browser-check: ${stepCount} passed, 0 failed`);
} catch (error) {
  console.error(`FAIL ${error instanceof Error ? error.message : String(error)}`);
  console.error(`browser-check: ${stepCount} passed, 1 failed`);
  process.exit(1);
}
