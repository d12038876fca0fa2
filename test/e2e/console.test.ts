/**
 * The console in a real browser: headless Chromium (Debian's `chromium`, installed by
 * `.ci/run` when missing; QG_CHROMIUM names another binary) driven by playwright-core against
 * the local stack with its admin server and the mock upstream. An admin signs in, creates a user
 * and a key, the key's holder calls the gateway with the official openai SDK, the request shows
 * in the Overview chart and the Usage table, a top-up lands once, a disabled key is refused by
 * the gateway, and every page opens without a console error. Screenshots of each page are kept
 * in test-artifacts/console/ (git-ignored).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type LocalStack, startLocalStack } from '#local/local-stack.ts';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.ts';

const CHROMIUM = process.env.QG_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
const ADMIN_TOKEN = 'console-test-admin-token-0123456789';
const UPSTREAM_KEY = 'sk-upstream-console-test-0001';
const PAGES = ['Overview', 'Users', 'Keys', 'Accounts', 'Groups', 'Usage', 'Errors'] as const;

describe('the console in a browser', { timeout: 240_000 }, () => {
  let mock: MockUpstream;
  let stack: LocalStack;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  const consoleErrors: string[] = [];

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set QG_CHROMIUM)`,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    mock = await startMockUpstream();
    stack = await startLocalStack({
      port: 0,
      dataDir: null,
      logLevel: 'ERROR',
      env: { QG_STAGE: 'console', QG_CONFIG_CACHE_SECONDS: '0' },
      admin: { port: 0, token: ADMIN_TOKEN },
    });
    profile = mkdtempSync(join(tmpdir(), 'qg-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(20_000);
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => consoleErrors.push(`${page.url()}: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await stack?.close();
    await mock?.close();
  });

  const open = async (name: (typeof PAGES)[number]) => {
    await page
      .getByRole('navigation', { name: 'Console pages' })
      .getByRole('link', { name, exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name, exact: true }).waitFor();
  };

  it('signs in with the admin token, which never appears in a URL', async () => {
    const admin = stack.admin;
    assert.ok(admin);
    await page.goto(`${admin.url}/`);
    await page.getByLabel('Admin token').fill('wrong-token-wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // A wrong token gets the sign-in form back as soon as the first call is refused.
    await page.getByRole('alert').getByText('The admin API refused that token.').waitFor();
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    assert.ok(!page.url().includes(ADMIN_TOKEN));
  });

  let secret = '';
  const userEmail = 'ada@example.com';

  it('creates a user with a balance and a key for them', async () => {
    await open('Users');
    await page.getByLabel('Email').fill(userEmail);
    await page.getByLabel('Starting balance (USD)').fill('10');
    await page.getByRole('button', { name: 'Create user' }).click();
    const details = page.getByRole('region', { name: `User ${userEmail}` });
    await details.getByTestId('balance').getByText('$10.00').waitFor();
    await details.getByLabel('New key name').fill('laptop');
    await details.getByRole('button', { name: 'Create key' }).click();
    secret = (await details.getByTestId('new-key').textContent()) ?? '';
    assert.match(secret, /^sk-qg-/);
  });

  it('adds an upstream account to the default group', async () => {
    await open('Accounts');
    await page.getByLabel('Account name').fill('mock');
    await page.getByLabel('Base URL (optional)').fill(mock.url);
    await page.getByLabel('Platform API key').fill(UPSTREAM_KEY);
    await page.getByLabel('Groups (comma-separated)').fill('default');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('table', { name: 'Upstream accounts' }).getByText('mock (apikey)').waitFor();
  });

  it('shows a request sent with the openai SDK in the Overview chart and the Usage table', async () => {
    const client = new OpenAI({ apiKey: secret, baseURL: `${stack.url}/v1`, maxRetries: 0 });
    const response = await client.responses.create({ model: 'gpt-5.1', input: 'Say hello' });
    assert.ok(response.output_text.length > 0);
    await stack.bus.drain();

    await open('Overview');
    const today = page.locator('section[aria-label="Last 24 hours, by hour"] .charts');
    await today.waitFor();
    assert.equal(await today.getAttribute('data-records'), '1');
    // The charts are drawn after their section appears: wait for the eighth canvas, bounded.
    await page.locator('canvas').nth(7).waitFor({ timeout: 15_000 });
    assert.equal((await page.locator('canvas').count()) >= 8, true, 'eight charts drawn');
    await page.getByRole('table', { name: 'Top models' }).getByText('gpt-5.1').waitFor();
    await page.getByRole('table', { name: 'Top users' }).getByText(userEmail).waitFor();

    await open('Usage');
    const table = page.getByRole('table', { name: 'Usage records' });
    await table.getByRole('cell', { name: 'gpt-5.1', exact: true }).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 1);
  });

  it('tops up a balance once', async () => {
    await open('Users');
    await page.getByRole('button', { name: `Manage ${userEmail}` }).click();
    const details = page.getByRole('region', { name: `User ${userEmail}` });
    const before = (await details.getByTestId('balance').textContent()) ?? '';
    await details.getByLabel('Top-up amount (USD)').fill('5');
    await details.getByRole('button', { name: 'Top up' }).click();
    await details.getByRole('status').getByText(`Added 5 USD to ${userEmail}.`).waitFor();
    const expected = Number(before.replace(/[$,]/g, '')) + 5;
    await details
      .getByTestId('balance')
      .getByText(`$${expected.toFixed(2)}`)
      .waitFor();
  });

  it('disables the key, and the gateway refuses it with 401', async () => {
    await open('Keys');
    await page.getByRole('button', { name: 'Disable key laptop' }).click();
    await page.getByRole('button', { name: 'Enable key laptop' }).waitFor();
    const refused = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.1', input: 'again' }),
    });
    assert.equal(refused.status, 401);
    const body = (await refused.json()) as { error: { type: string; message: string } };
    assert.equal(body.error.message, 'API key is disabled');
  });

  it("changes a group's multiplier", async () => {
    await open('Groups');
    await page.getByRole('button', { name: 'Edit group Default' }).click();
    const form = page.getByRole('region', { name: 'Group Default' });
    await form.getByLabel('Rate multiplier').fill('2');
    await form.getByRole('button', { name: 'Save group' }).click();
    await form.getByRole('status').getByText('Group Default saved.').waitFor();
    await page.getByRole('table', { name: 'Groups' }).getByRole('cell', { name: '2', exact: true }).waitFor();
  });

  it('opens every page without a console error and keeps a screenshot of each', async () => {
    for (const name of PAGES) {
      await open(name);
      await page.waitForLoadState('networkidle');
      await page.screenshot({ path: join(ARTIFACTS, `${name.toLowerCase()}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await open('Overview');
    await page.screenshot({ path: join(ARTIFACTS, 'overview-phone.png'), fullPage: true });
    const refusedSignIn = consoleErrors.filter((text) => !text.includes('401'));
    assert.deepEqual(refusedSignIn, []);
  });
});
