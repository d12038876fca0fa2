/**
 * The console in a real browser: headless Chromium (Debian's `chromium`, installed by
 * `.ci/run` when missing; QG_CHROMIUM names another binary) driven by playwright-core against
 * the local stack with its admin server and the mock upstream. An admin signs in, creates a user
 * and a key, the key's holder calls the gateway with the official openai SDK, the request shows
 * in the Overview chart and the Usage table, a top-up lands once, a disabled key is refused by
 * the gateway, a key's limits set in their form are enforced, a low-balance alert shows on the
 * Overview, revoking a key, archiving a user and deleting a group and an account ask first and
 * then hold (the gateway refuses the revoked key and the archived user's key), and every page
 * opens without a console error. Screenshots of each page are kept in test-artifacts/console/
 * (git-ignored).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { type BrowserContext, chromium, type Page, type Route } from 'playwright-core';
import { type LocalStack, startLocalStack } from '#local/local-stack.ts';
import { type MockUpstream, startMockUpstream } from '../support/mock-upstream.ts';

const CHROMIUM = process.env.QG_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');
const ADMIN_TOKEN = 'console-test-admin-token-0123456789';
const UPSTREAM_KEY = 'sk-upstream-console-test-0001';
const PAGES = ['Overview', 'Users', 'Keys', 'Accounts', 'Groups', 'Usage', 'Errors'] as const;

// The whole walk took 104 s at load 20 (14 s idle); each step has its own 20 s bound.
describe('the console in a browser', { timeout: 480_000 }, () => {
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

  /** The gateway's answer to one request with `key`: its status and error, if any. */
  const callGateway = async (key: string) => {
    const answer = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5.1', input: 'again' }),
    });
    const body = (await answer.json()) as { error?: { code?: string; message: string } };
    await stack.bus.drain();
    return { status: answer.status, error: body.error };
  };
  /** A key as the admin API holds it. */
  const keyNamed = async (name: string) => {
    const admin = stack.admin;
    assert.ok(admin);
    const answer = await fetch(`${admin.url}/admin/v1/keys?archived=include`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const { data } = (await answer.json()) as { data: Record<string, unknown>[] };
    return data.find((key) => key.name === name);
  };
  /** The next confirmation dialog is accepted (or dismissed), and its question kept. */
  const answerDialog = (accept: boolean) =>
    new Promise<string>((resolve) => {
      page.once('dialog', async (dialog) => {
        resolve(dialog.message());
        await (accept ? dialog.accept() : dialog.dismiss());
      });
    });
  /** Creates a key for `email` from the Users page and returns its secret. */
  const createKey = async (email: string, name: string) => {
    await open('Users');
    await page.getByRole('button', { name: `Manage ${email}` }).click();
    const details = page.getByRole('region', { name: `User ${email}` });
    await details.getByLabel('New key name').fill(name);
    await details.getByRole('button', { name: 'Create key' }).click();
    await details.getByTestId('new-key').waitFor();
    return (await details.getByTestId('new-key').textContent()) ?? '';
  };

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

  it("sets a key's limits in its form, and the gateway holds the key to them", async () => {
    await open('Keys');
    await page.getByRole('button', { name: 'Set limits of key laptop' }).click();
    const form = page.getByRole('region', { name: 'Limits of key laptop' });
    await form.getByLabel('Allowed IPs (CIDR, comma-separated; empty: anywhere)').fill('203.0.113.0/24');
    await form.getByLabel('Requests per minute (empty: no limit)').fill('100');
    await form.getByLabel('Budget (USD, empty: none)').fill('20');
    await form.getByLabel('Budget period').selectOption('weekly');
    await form.getByLabel('Alert at percent of quota or budget (empty: default)').fill('50');
    await form.getByRole('button', { name: 'Save limits' }).click();
    await form.getByRole('status').getByText('Limits of laptop saved.').waitFor();
    await page
      .getByRole('table', { name: 'All keys' })
      .getByText('IPs 203.0.113.0/24 · 100/min · $20.00 weekly')
      .waitFor();
    const limited = await keyNamed('laptop');
    assert.deepEqual(
      [limited?.allowedIps, limited?.requestsPerMinute, limited?.budget, limited?.alertPercent],
      [['203.0.113.0/24'], 100, { period: 'weekly', limitNano: 20_000_000_000 }, 50],
    );
    const refused = await callGateway(secret);
    assert.deepEqual([refused.status, refused.error?.code], [403, 'IP_NOT_ALLOWED']);

    // Emptied fields remove the limits again.
    const reopened = page.getByRole('region', { name: 'Limits of key laptop' });
    await reopened.getByLabel('Allowed IPs (CIDR, comma-separated; empty: anywhere)').fill('');
    await reopened.getByLabel('Budget (USD, empty: none)').fill('');
    await reopened.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('table', { name: 'All keys' }).getByText('100/min', { exact: true }).waitFor();
    const cleared = await keyNamed('laptop');
    assert.deepEqual(
      [cleared?.allowedIps, cleared?.budget, cleared?.requestsPerMinute],
      [undefined, undefined, 100],
    );
    assert.equal((await callGateway(secret)).status, 200);
  });

  it('shows a low-balance alert on the Overview once a charge crosses the threshold', async () => {
    await open('Users');
    await page.getByRole('button', { name: `Manage ${userEmail}` }).click();
    const details = page.getByRole('region', { name: `User ${userEmail}` });
    await details.getByLabel('Alert below balance (USD, empty: default)').fill('100');
    await details.getByRole('button', { name: 'Set alert' }).click();
    await details.getByRole('status').getByText(`Low-balance alert of ${userEmail} saved.`).waitFor();
    assert.equal((await callGateway(secret)).status, 200);
    assert.equal((await callGateway(secret)).status, 200);

    await open('Overview');
    const alerts = page.getByRole('table', { name: 'Recent alerts' });
    await alerts.getByText(/fell below \$100\.00/).waitFor();
    // Two charges below the threshold, one alert.
    assert.equal(await alerts.locator('tbody tr').count(), 1);
    await alerts.getByRole('cell', { name: userEmail }).waitFor();
  });

  it('sets the alert defaults on the Overview, and an emptied field removes one', async () => {
    await open('Overview');
    const form = page.getByRole('form', { name: 'Alert defaults' });
    // Resolves once the console's PUT is answered, so the reads below see what it wrote.
    const save = () =>
      Promise.all([
        page.waitForResponse(
          (answer) =>
            answer.url().endsWith('/admin/v1/alerts/defaults') && answer.request().method() === 'PUT',
        ),
        form.getByRole('button', { name: 'Save alert defaults' }).click(),
      ]);
    await form.getByLabel('Default low-balance alert (USD, empty: none)').fill('2.5');
    await form.getByLabel('Default key alert percent (empty: 80)').fill('90');
    await save();
    await page.getByRole('status').getByText('Alert defaults saved.').waitFor();
    const read = async () => {
      const answer = await fetch(`${stack.admin?.url}/admin/v1/alerts/defaults`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      return answer.json();
    };
    assert.deepEqual(await read(), {
      lowBalanceAlertNano: 2_500_000_000,
      keyAlertPercent: 90,
      effectiveKeyAlertPercent: 90,
    });
    await form.getByLabel('Default key alert percent (empty: 80)').fill('');
    await save();
    assert.deepEqual(await read(), { lowBalanceAlertNano: 2_500_000_000, effectiveKeyAlertPercent: 80 });
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

  it('revokes a key only once the admin confirms, and the gateway refuses it', async () => {
    const spare = await createKey(userEmail, 'spare');
    await open('Keys');
    const asked = answerDialog(false);
    await page.getByRole('button', { name: 'Revoke key spare' }).click();
    assert.equal(await asked, 'Revoke key spare for good?');
    assert.equal((await keyNamed('spare'))?.revokedAt, undefined);

    const confirmed = answerDialog(true);
    await page.getByRole('button', { name: 'Revoke key spare' }).click();
    await confirmed;
    await page.getByRole('status').getByText('Key spare revoked.').waitFor();
    assert.equal(typeof (await keyNamed('spare'))?.revokedAt, 'string');
    assert.equal((await callGateway(spare)).status, 401);
  });

  it('archives a user once confirmed: their keys are refused and they leave the list until asked for', async () => {
    const archivedEmail = 'leaving@example.com';
    await open('Users');
    await page.getByLabel('Email').fill(archivedEmail);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('region', { name: `User ${archivedEmail}` }).waitFor();
    const desk = await createKey(archivedEmail, 'desk');

    const confirmed = answerDialog(true);
    const details = page.getByRole('region', { name: `User ${archivedEmail}` });
    const users = page.getByRole('table', { name: 'Users', exact: true });
    // The list's reload answers late, so an announcement made before the list shows the change
    // would be seen next to the archived user's row.
    const lateList = async (route: Route) => {
      if (route.request().method() === 'GET') await sleep(1_500);
      await route.continue();
    };
    await page.route('**/admin/v1/users?*', lateList);
    await details.getByRole('button', { name: 'Archive user' }).click();
    assert.match(await confirmed, /^Archive leaving@example\.com\?/);
    await page.getByRole('status').getByText(`${archivedEmail} archived.`).waitFor();
    assert.equal(
      await users.getByRole('cell', { name: archivedEmail, exact: true }).count(),
      0,
      'announced while the list still showed the archived user',
    );
    await page.unroute('**/admin/v1/users?*', lateList);
    const refused = await callGateway(desk);
    assert.deepEqual([refused.status, refused.error?.message], [401, 'User account is not active']);

    await users.getByRole('cell', { name: userEmail, exact: true }).waitFor();
    await page.getByLabel('Archived users').selectOption('only');
    await users.getByRole('cell', { name: archivedEmail, exact: true }).waitFor();
    await users.getByRole('cell', { name: 'archived', exact: true }).waitFor();
    assert.equal(await users.locator('tbody tr').count(), 1);
  });

  it('deletes an unused group and a disabled account once confirmed', async () => {
    await open('Groups');
    await page.getByLabel('Name').fill('Spare');
    await page.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('button', { name: 'Edit group Spare' }).click();
    const confirmedGroup = answerDialog(true);
    await page
      .getByRole('region', { name: 'Group Spare' })
      .getByRole('button', { name: 'Delete group' })
      .click();
    await confirmedGroup;
    await page.getByRole('status').getByText('Group Spare deleted.').waitFor();
    await page.getByRole('button', { name: 'Edit group Spare' }).waitFor({ state: 'detached' });

    await open('Accounts');
    await page.getByLabel('Account name').fill('retired');
    await page.getByLabel('Base URL (optional)').fill(mock.url);
    await page.getByLabel('Platform API key').fill('sk-upstream-console-test-0002');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('button', { name: 'Manage retired' }).click();
    const account = page.getByRole('region', { name: 'Account retired' });
    await account.getByRole('button', { name: 'Disable account' }).click();
    const confirmedAccount = answerDialog(true);
    await account.getByRole('button', { name: 'Delete account' }).click();
    await confirmedAccount;
    await page.getByRole('status').getByText('Account retired deleted.').waitFor();
    await page.getByRole('button', { name: 'Manage retired' }).waitFor({ state: 'detached' });
    await page.getByRole('table', { name: 'Upstream accounts' }).getByText('mock (apikey)').waitFor();
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
    // A screenshot shows the page loaded: no "Loading…" left, the Overview's charts drawn.
    const loaded = async (name: (typeof PAGES)[number]) => {
      await page.waitForLoadState('networkidle');
      await page.getByText('Loading…').first().waitFor({ state: 'detached' });
      if (name === 'Overview') await page.locator('canvas').nth(7).waitFor();
    };
    for (const name of PAGES) {
      await open(name);
      await loaded(name);
      await page.screenshot({ path: join(ARTIFACTS, `${name.toLowerCase()}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await open('Overview');
    await loaded('Overview');
    await page.screenshot({ path: join(ARTIFACTS, 'overview-phone.png'), fullPage: true });
    const refusedSignIn = consoleErrors.filter((text) => !text.includes('401'));
    assert.deepEqual(refusedSignIn, []);
  });
});
