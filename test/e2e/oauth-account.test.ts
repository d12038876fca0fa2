/**
 * A ChatGPT (OAuth) account end to end: the request goes to the Codex backend path with the
 * account's token and ChatGPT account id, `store:false` and `stream:true`; a client that asked
 * for JSON still gets one JSON response; an expired token is refreshed on demand first.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type OpenAI from 'openai';
import { createAccount } from '#shared/admin/account-create.ts';
import { getAccount } from '#shared/admin/accounts.ts';
import { oauthE2EForSuite, UPSTREAM_KEY } from '../support/e2e-stack.ts';
import { eventually } from '../support/gateway-calls.ts';

const e2e = oauthE2EForSuite({ resetMockEachTest: true });

const oauthAccount = (accessToken: string, expiresAt: string) => ({
  type: 'oauth',
  baseUrl: `${e2e.mock.url}/backend-api/codex`,
  apiKey: undefined,
  accessToken,
  refreshToken: 'rt_initial_refresh_token_0001',
  chatgptAccountId: 'chatgpt-account-1',
  expiresAt,
});

describe('OAuth (ChatGPT) accounts', () => {
  it('sends the request to the Codex backend with the account token and answers a JSON client with JSON', async () => {
    const { secret } = await e2e.seed({ account: oauthAccount('at-valid-token', '2099-01-01T00:00:00Z') });

    const response = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'Say hello' });

    assert.equal(response.output_text, 'Hello from the mock upstream.');
    const received = e2e.mock.requests[0];
    assert.equal(received?.path, '/backend-api/codex/responses');
    assert.equal(received?.headers.authorization, 'Bearer at-valid-token');
    assert.equal(received?.headers['chatgpt-account-id'], 'chatgpt-account-1');
    assert.equal(received?.body.store, false);
    assert.equal(received?.body.stream, true);
  });

  it('refreshes an expired access token before forwarding', async () => {
    const { secret } = await e2e.seed({ account: oauthAccount('at-expired-token', '2020-01-01T00:00:00Z') });

    const response = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'Say hello' });

    assert.equal(response.status, 'completed');
    const sent = e2e.mock.requests[0]?.headers.authorization ?? '';
    assert.equal(e2e.tokens.issued.length, 1);
    assert.equal(sent, `Bearer ${e2e.tokens.issued[0]?.accessToken}`);
    assert.deepEqual(e2e.tokens.spentTwice(), []);
  });

  it('fails over to the next account when an OAuth token cannot be refreshed', async () => {
    // Prepare: the expired OAuth account comes first (priority 1); its refresh is refused
    const { secret, groupId } = await e2e.seed({
      account: { ...oauthAccount('at-expired-token', '2020-01-01T00:00:00Z'), priority: 1 },
    });
    await createAccount(e2e.admin, {
      type: 'apikey',
      name: 'platform fallback',
      baseUrl: e2e.mock.url,
      apiKey: UPSTREAM_KEY,
      groupIds: [groupId],
      priority: 5,
    });
    e2e.tokens.mode = 'invalid_grant';
    const refreshesBefore = e2e.tokens.requests.length;

    // Act
    let response: Awaited<ReturnType<OpenAI['responses']['create']>>;
    try {
      response = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'Say hello' });
    } finally {
      e2e.tokens.mode = 'success';
    }

    // Assess
    assert.equal(response.status, 'completed');
    assert.equal(e2e.tokens.requests.length, refreshesBefore + 1, 'the OAuth account was tried first');
    assert.deepEqual(
      e2e.mock.requests.map((received) => [received.path, received.headers.authorization]),
      [['/v1/responses', `Bearer ${UPSTREAM_KEY}`]],
    );
  });

  it("hands the Codex backend's x-codex-* usage headers to the recorder, which keeps them on the account", async () => {
    // Prepare
    const { secret, accountId } = await e2e.seed({
      account: oauthAccount('at-valid-token', '2099-01-01T00:00:00Z'),
    });
    const codexHeaders = {
      'x-codex-primary-used-percent': '12',
      'x-codex-primary-window-minutes': '300',
      'x-codex-secondary-used-percent': '40',
      'x-codex-secondary-window-minutes': '10080',
    };
    e2e.mock.enqueue({ kind: 'ok', headers: { ...codexHeaders, 'x-other': 'not usage' } });

    // Act
    await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'Say hello' });

    // Assess
    const events = e2e.usageEvents().filter((event) => event.detail.accountId === accountId);
    assert.deepEqual(
      events.map((event) => event.detail.codexHeaders),
      [codexHeaders],
    );
    let account = await getAccount(e2e.admin, accountId);
    await eventually(async () => {
      account = await getAccount(e2e.admin, accountId);
      return account.codexUsage !== undefined;
    });
    assert.deepEqual(
      [account.codexUsage?.fiveHour?.usedPercent, account.codexUsage?.sevenDay?.usedPercent],
      [12, 40],
    );
  });

  it('answers an upstream 401 with one forced token refresh and a retry on the same account', async () => {
    const account = {
      ...oauthAccount('at-revoked-early', '2099-01-01T00:00:00Z'),
      refreshToken: 'rt_forced_0001',
    };
    const { secret, accountId } = await e2e.seed({ account });
    e2e.mock.enqueue({ kind: 'error', status: 401 });
    const issuedBefore = e2e.tokens.issued.length;

    const response = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'Say hello' });

    assert.equal(response.status, 'completed');
    const issued = e2e.tokens.issued.slice(issuedBefore);
    assert.deepEqual(
      issued.map((grant) => grant.spent),
      ['rt_forced_0001'],
    );
    assert.deepEqual(
      e2e.mock.requests.map((request) => request.headers.authorization),
      ['Bearer at-revoked-early', `Bearer ${issued[0]?.accessToken}`],
    );
    assert.equal((await getAccount(e2e.admin, accountId)).health.state, 'ok');
    assert.ok(!e2e.tokens.spentTwice().includes('rt_forced_0001'));
  });

  it('marks the account and fails over when the forced refresh is refused too', async () => {
    const account = {
      ...oauthAccount('at-revoked-for-good', '2099-01-01T00:00:00Z'),
      refreshToken: 'rt_dead_0001',
    };
    const { secret, accountId } = await e2e.seed({ account });
    e2e.mock.enqueue({ kind: 'error', status: 401 });
    e2e.tokens.mode = 'invalid_grant';
    try {
      const result = await fetch(`${e2e.stack.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: '{"model":"gpt-5.1","input":"hi"}',
      });

      assert.equal(result.status, 502);
      assert.equal(((await result.json()) as { error: { type: string } }).error.type, 'upstream_error');
    } finally {
      e2e.tokens.mode = 'success';
    }
    assert.equal(e2e.mock.requests.length, 1);
    assert.equal((await getAccount(e2e.admin, accountId)).health.state, 'error');
  });
});
