/**
 * The gateway with the config cache as production runs it (`QG_CONFIG_CACHE_SECONDS` at its
 * default): the other e2e files turn it off so that each admin change shows at once; here the
 * behaviour that depends on it is checked — a health change the gateway makes itself is seen by
 * its next request, and an admin change takes effect within the window docs/configuration.md
 * promises.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAccount } from '#shared/admin/account-create.ts';
import { getAccountHealth } from '#shared/admin/accounts.ts';
import { setApiKeyStatus } from '#shared/admin/api-keys.ts';
import { loadSettings } from '#shared/settings.ts';
import { e2eForSuite, UPSTREAM_KEY } from '../support/e2e-stack.ts';
import { eventually } from '../support/gateway-calls.ts';

/** The production default, read from the settings module rather than written here. */
const CACHE_SECONDS = loadSettings({}).configCacheSeconds;
const SECOND_KEY = 'sk-upstream-platform-secret-0002';

const e2e = e2eForSuite({ QG_CONFIG_CACHE_SECONDS: String(CACHE_SECONDS) }, {}, { resetMockEachTest: true });

const post = (secret: string, body: string) =>
  fetch(`${e2e.stack.url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body,
  });

describe(`the config cache at its production setting (${CACHE_SECONDS} s)`, () => {
  it('runs with the cache on', () => {
    assert.ok(CACHE_SECONDS > 0);
    assert.equal(e2e.stack.settings.configCacheSeconds, CACHE_SECONDS);
  });

  it('sees at once an account health it wrote itself, though the account list is cached', async () => {
    // Prepare: two accounts, the first preferred; one request warms the cached account list
    const { secret, groupId, accountId } = await e2e.seed({ account: { priority: 1 } });
    await createAccount(e2e.admin, {
      type: 'apikey',
      name: 'second',
      baseUrl: e2e.mock.url,
      apiKey: SECOND_KEY,
      groupIds: [groupId],
      priority: 5,
    });
    const client = e2e.client(secret);
    await client.responses.create({ model: 'gpt-5.1', input: 'warm the cache' });
    e2e.mock.enqueue({ kind: 'error', status: 429, headers: { 'retry-after': '600' } });

    // Act: the first account answers 429 (cooled down, failed over); the next request follows
    await client.responses.create({ model: 'gpt-5.1', input: 'rate limited, then failed over' });
    await client.responses.create({ model: 'gpt-5.1', input: 'after the cooldown was written' });

    // Assess
    assert.equal((await getAccountHealth(e2e.admin, accountId)).state, 'rate_limited');
    assert.deepEqual(
      e2e.mock.requests.map((request) => request.headers.authorization),
      [UPSTREAM_KEY, UPSTREAM_KEY, SECOND_KEY, SECOND_KEY].map((key) => `Bearer ${key}`),
      'the third request skipped the cooling account',
    );
  });

  it(`refuses a key disabled by an admin within ${CACHE_SECONDS} s, as documented`, async () => {
    // Prepare: the key is in the cache
    const { secret, keyId } = await e2e.seed();
    assert.equal((await post(secret, '{}')).status, 400, 'an authenticated caller, refused for its body');

    // Act
    await setApiKeyStatus(e2e.admin, keyId, 'disabled');
    const disabledAt = Date.now();
    await eventually(async () => (await post(secret, '{}')).status === 401, (CACHE_SECONDS + 5) * 1000);

    // Assess: a small margin for a busy machine between the cache's clock and this one
    const refusedAfter = Date.now() - disabledAt;
    assert.ok(refusedAfter <= CACHE_SECONDS * 1000 + 1_000, `refused ${refusedAfter} ms after disabling`);
    assert.equal(e2e.mock.requests.length, 0);
  });
});
