import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialsOf, fakeToken, MINUTE, oauthWorldForSuite } from './oauth-harness.ts';

const DAY = 24 * 60 * MINUTE;

describe('refreshExpiringTokens (the 5-minute schedule)', () => {
  const world = oauthWorldForSuite({ resetEndpointEachTest: true });

  it('refreshes exactly the refreshable tokens that expire within the window', async () => {
    // Prepare
    const nineDaysAgo = new Date(Date.now() - 9 * DAY).toISOString();
    const due = [
      await world.addAccount(10 * MINUTE),
      await world.addAccount(-5 * MINUTE),
      // Unknown expiry: due once older than Codex CLI's 8-day refresh interval.
      await world.addAccount(null, { createdAt: nineDaysAgo }),
    ];
    const notDue = [
      await world.addAccount(2 * 60 * MINUTE),
      await world.addAccount(null, {
        createdAt: nineDaysAgo,
        tokenRefreshedAt: new Date(Date.now() - DAY).toISOString(),
      }),
      await world.addAccount(5 * MINUTE, { health: { state: 'error', reason: 'revoked' } }),
      await world.addAccount(5 * MINUTE, { status: 'disabled' }),
      await world.addAccount(5 * MINUTE, {
        credentials: { accessToken: fakeToken('at'), expiresAt: new Date().toISOString() },
      }),
      await world.addAccount(null, { type: 'apikey', credentials: { apiKey: fakeToken('sk') } }),
    ];
    const requests = world.endpoint.requests.length;

    // Act
    const summary = await world.refresh({ QG_OAUTH_REFRESH_BEFORE_SECONDS: '1800' }).refreshExpiringTokens();

    // Assess
    const spent = world.endpoint.requests.slice(requests).map((request) => request.refreshToken);
    assert.deepEqual(spent.sort(), due.map((account) => credentialsOf(account).refreshToken).sort());
    assert.deepEqual(summary, {
      checked: 5,
      due: 3,
      outcomes: { refreshed: 3, 'already-fresh': 0, 'skipped-lease-held': 0, failed: 0 },
      deferred: 0,
      errors: 0,
    });
    for (const account of due) {
      const stored = credentialsOf(await world.read(account.id));
      assert.ok(Date.parse(stored.expiresAt ?? '') > Date.now() + DAY, account.id);
    }
    for (const account of notDue)
      assert.deepEqual((await world.read(account.id)).credentials, account.credentials);
  });

  it('finds nothing to do on the next run, once every due token was refreshed', async () => {
    // Prepare
    await world.addAccount(MINUTE);
    const tokens = world.refresh();
    await tokens.refreshExpiringTokens();
    const requests = world.endpoint.requests.length;

    // Act
    const summary = await tokens.refreshExpiringTokens();

    // Assess
    assert.equal(summary.due, 0);
    assert.equal(world.endpoint.requests.length, requests);
  });

  it('records failures per account and carries on with the others', async () => {
    // Prepare
    world.endpoint.mode = 'invalid_grant';
    const [first, second] = [await world.addAccount(MINUTE), await world.addAccount(MINUTE)];

    // Act
    const summary = await world.refresh().refreshExpiringTokens();

    // Assess
    assert.equal(summary.outcomes.failed, 2);
    assert.equal(summary.errors, 0);
    for (const account of [first, second]) {
      assert.equal((await world.read(account?.id ?? '')).health.state, 'error');
    }
  });

  it('leaves due accounts to the next run when a refresh could outlast the deadline', async () => {
    // Prepare: a 400 ms endpoint timeout plus the 5 s safety margin do not fit in 1 s
    const account = await world.addAccount(MINUTE);
    const requests = world.endpoint.requests.length;

    // Act
    const summary = await world.refresh().refreshExpiringTokens({ deadlineMs: Date.now() + 1_000 });

    // Assess
    assert.ok(summary.deferred >= 1);
    assert.equal(world.endpoint.requests.length, requests);
    assert.deepEqual((await world.read(account.id)).credentials, account.credentials);
  });
});
