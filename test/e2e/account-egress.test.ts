/**
 * Per-account egress: an account may name a User-Agent and an HTTP(S) proxy (with credentials) for
 * its upstream traffic. The mock upstream sees the account's User-Agent, and its request arrived
 * through the proxy's tunnel (the proxy recorded the CONNECT with the account's credentials and
 * the port the mock saw); accounts without a proxy go direct. A proxy that refuses the account is
 * an unreachable upstream: the request fails over, and no log line or error carries the password.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createAccount } from '#shared/admin/account-create.ts';
import { getAccount, listAccounts, updateAccount } from '#shared/admin/accounts.ts';
import { isSealed } from '#shared/secrets/secret-sealer.ts';
import { seedAccountPool } from '../support/account-pool.ts';
import { type ConnectProxy, startConnectProxy } from '../support/connect-proxy.ts';
import { type E2E, startE2E } from '../support/e2e-stack.ts';
import { keptLogLines } from '../support/test-logs.ts';

const PASSWORD = 'pr0xy-s3cret-for-acct';
let e2e: E2E;
let proxy: ConnectProxy;
before(async () => {
  e2e = await startE2E();
  proxy = await startConnectProxy({ user: 'acct-1', password: PASSWORD });
});
after(async () => {
  await e2e.close();
  await proxy.close();
});
beforeEach(() => {
  e2e.mock.reset();
});

/** True when the mock saw the request come from one of the proxy's tunnels (kept alive across tests). */
const cameThroughProxy = (remotePort: number | undefined) =>
  proxy.tunnels.some((tunnel) => tunnel.egressPort !== undefined && tunnel.egressPort === remotePort);

async function setEgress(accountId: string, fields: { userAgent?: string; proxyUrl?: string }) {
  await updateAccount(e2e.admin, accountId, fields);
}

describe('per-account User-Agent and outbound proxy', () => {
  it('sends the account’s User-Agent, through its proxy, with its proxy credentials', async () => {
    const { secret, accountId } = await e2e.seed();
    await setEgress(accountId, { userAgent: 'team-egress/2.0', proxyUrl: proxy.urlWithCredentials });

    const response = await e2e
      .client(secret, { headers: { 'user-agent': 'client-agent/1.0' } })
      .responses.create({ model: 'gpt-5.1', input: 'Say hello' });

    assert.equal(response.output_text, 'Hello from the mock upstream.');
    const [received] = e2e.mock.requests;
    assert.equal(received?.headers['user-agent'], 'team-egress/2.0');
    const mockHost = new URL(e2e.mock.url).host;
    assert.deepEqual(
      proxy.tunnels.map(({ target, authorized }) => ({ target, authorized })),
      [{ target: mockHost, authorized: true }],
    );
    assert.ok(cameThroughProxy(received?.remotePort), 'the mock saw the proxy’s connection');
    const shown = await getAccount(e2e.admin, accountId);
    assert.equal(shown.proxyEndpoint, proxy.url);
    assert.equal(shown.userAgent, 'team-egress/2.0');
    assert.ok(!JSON.stringify(await listAccounts(e2e.admin)).includes(PASSWORD));
    const stored = await e2e.admin.get('account', accountId);
    assert.ok(isSealed(stored?.credentials.proxyUrl), 'the proxy URL is sealed at rest');
    assert.ok(!JSON.stringify(stored).includes(PASSWORD));
  });

  it('streams chat completions through the proxy of an account created with one', async () => {
    const { secret, groupId, accountId } = await e2e.seed();
    await updateAccount(e2e.admin, accountId, { priority: 99 });
    await createAccount(e2e.admin, {
      type: 'apikey',
      name: 'proxied',
      baseUrl: e2e.mock.url,
      apiKey: 'sk-proxied-account-0001',
      groupIds: [groupId],
      priority: 1,
      proxyUrl: proxy.urlWithCredentials,
    });

    const stream = await e2e.client(secret).chat.completions.create({
      model: 'gpt-5.1',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';

    assert.equal(text, 'Hello from the mock upstream.');
    assert.equal(e2e.mock.requests[0]?.headers.authorization, 'Bearer sk-proxied-account-0001');
    assert.ok(cameThroughProxy(e2e.mock.requests[0]?.remotePort));
  });

  it('goes direct again once the proxy and User-Agent are cleared', async () => {
    const { secret, accountId } = await e2e.seed();
    await setEgress(accountId, { userAgent: 'team-egress/2.0', proxyUrl: proxy.urlWithCredentials });
    await setEgress(accountId, { userAgent: '', proxyUrl: '' });

    await e2e
      .client(secret, { headers: { 'user-agent': 'client-agent/1.0' } })
      .responses.create({ model: 'gpt-5.1', input: 'Say hello' });

    assert.equal(e2e.mock.requests[0]?.headers['user-agent'], 'client-agent/1.0');
    assert.ok(!cameThroughProxy(e2e.mock.requests[0]?.remotePort));
    const shown = await getAccount(e2e.admin, accountId);
    assert.equal(shown.proxyEndpoint, undefined);
    assert.equal(shown.userAgent, undefined);
  });

  it('fails over from an account its proxy refuses, and says nothing of the proxy password', async () => {
    const { secret, accountIds, attempts, userId } = await seedAccountPool(e2e, 2);
    const wrong = proxy.urlWithCredentials.replace(PASSWORD, 'not-the-password');
    await setEgress(accountIds[0] as string, { proxyUrl: wrong });

    const response = await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'Say hello' });

    assert.equal(response.status, 'completed');
    assert.equal(proxy.tunnels.at(-1)?.authorized, false);
    assert.deepEqual(attempts(), [1], 'only the second account reached the mock');
    await e2e.stack.bus.drain();
    const usage = e2e.usageEvents().find((event) => event.detail.userId === userId)?.detail;
    assert.equal(usage?.failovers, 1);
    const logged = keptLogLines().join('\n');
    assert.match(logged, /upstream unreachable/, 'the refused tunnel was logged');
    assert.ok(!logged.includes('not-the-password'), 'the proxy password reached the logs');
  });
});
