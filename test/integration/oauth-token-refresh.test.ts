import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { chatgptAccountIdOf } from '#shared/oauth/jwt-claims.ts';
import { REFRESH_SCOPE } from '#shared/oauth/token-endpoint.ts';
import { refreshAccountToken } from '#shared/oauth/token-refresher.ts';
import { keys } from '#shared/tables/keys.ts';
import { eventually } from '../support/gateway-calls.ts';
import { credentialsOf, fakeToken, MINUTE, oauthWorldForSuite } from './oauth-harness.ts';

describe('refreshAccountToken against the mock token endpoint', () => {
  const world = oauthWorldForSuite({ resetEndpointEachTest: true });

  it('spends the refresh token as Codex CLI does and stores the rotated tokens and the new expiry', async () => {
    // Prepare
    const account = await world.addAccount(10 * MINUTE, {
      credentials: { accessToken: fakeToken('at'), refreshToken: fakeToken('rt') },
    });
    const { deps } = world.refresh({ QG_OAUTH_CLIENT_ID: 'app_test_client' });
    const startedAt = Date.now();

    // Act
    const result = await refreshAccountToken(account, deps);

    // Assess
    assert.equal(result.outcome, 'refreshed');
    assert.deepEqual(world.endpoint.requests, [
      {
        contentType: 'application/json',
        grantType: 'refresh_token',
        clientId: 'app_test_client',
        scope: REFRESH_SCOPE,
        refreshToken: credentialsOf(account).refreshToken,
      },
    ]);
    const issued = world.endpoint.issued.at(-1);
    const stored = await world.read(account.id);
    const credentials = credentialsOf(stored);
    assert.equal(credentials.accessToken, issued?.accessToken);
    assert.equal(credentials.refreshToken, issued?.refreshToken);
    const expiresAt = Date.parse(credentials.expiresAt ?? '');
    assert.ok(expiresAt >= startedAt + 864_000_000 && expiresAt <= Date.now() + 864_000_000);
    assert.equal(credentials.chatgptAccountId, chatgptAccountIdOf(issued?.idToken));
    assert.deepEqual(result.account?.credentials, stored.credentials);
  });

  it('changes only the credentials: admin fields, version and health stay as they were', async () => {
    // Prepare
    const account = await world.addAccount(5 * MINUTE, {
      priority: 7,
      health: { state: 'rate_limited', until: 1 },
    });
    const { deps } = world.refresh();

    // Act
    await refreshAccountToken(account, deps);

    // Assess
    const stored = await world.read(account.id);
    const { credentials: _new, tokenRefreshedAt, ...rest } = stored;
    const { credentials: _old, ...originalRest } = account;
    assert.deepEqual(rest, originalRest);
    assert.ok(tokenRefreshedAt);
    assert.notEqual(credentialsOf(stored).accessToken, credentialsOf(account).accessToken);
    assert.equal(credentialsOf(stored).chatgptAccountId, credentialsOf(account).chatgptAccountId);
  });

  it('takes the expiry from the access token when the endpoint gives no expires_in', async () => {
    // Prepare
    world.endpoint.expiresInSeconds = undefined;
    const account = await world.addAccount(MINUTE);
    const { deps } = world.refresh();

    // Act
    await refreshAccountToken(account, deps);

    // Assess: the mock's access tokens carry exp = now + 10 days
    const expiresAt = Date.parse(credentialsOf(await world.read(account.id)).expiresAt ?? '');
    assert.ok(Math.abs(expiresAt - (Date.now() + 864_000_000)) < 5_000);
  });

  it('puts the account in error state at once on invalid_grant, with the reason and no token in it', async () => {
    // Prepare
    world.endpoint.mode = 'invalid_grant';
    const account = await world.addAccount(MINUTE);
    const { deps } = world.refresh();

    // Act
    const result = await refreshAccountToken(account, deps);

    // Assess
    assert.equal(result.outcome, 'failed');
    assert.deepEqual(
      result.failure && { permanent: result.failure.permanent, errorState: result.failure.errorState },
      {
        permanent: true,
        errorState: true,
      },
    );
    const stored = await world.read(account.id);
    assert.equal(stored.health.state, 'error');
    assert.match(
      stored.health.reason ?? '',
      /^token refresh failed: token endpoint answered 400 invalid_grant: /,
    );
    assert.ok(stored.health.updatedAt);
    const secrets = [credentialsOf(account).refreshToken ?? '', credentialsOf(account).accessToken];
    for (const text of [
      stored.health.reason ?? '',
      stored.refreshError ?? '',
      result.failure?.reason ?? '',
    ]) {
      for (const secret of secrets) assert.ok(!text.includes(secret), `a token leaked into "${text}"`);
    }
    assert.deepEqual(stored.credentials, account.credentials);
  });

  it('counts a timeout as a failure and keeps the old token', async () => {
    // Prepare
    world.endpoint.mode = 'timeout';
    const account = await world.addAccount(MINUTE);
    const { deps } = world.refresh({ QG_OAUTH_TIMEOUT_MS: '200' });

    // Act
    const result = await refreshAccountToken(account, deps);

    // Assess
    assert.equal(result.outcome, 'failed');
    const stored = await world.read(account.id);
    assert.deepEqual(stored.credentials, account.credentials);
    assert.equal(stored.refreshFailures, 1);
    assert.equal(stored.health.state, 'ok');
    assert.match(stored.refreshError ?? '', /did not answer within 200 ms/);
  });

  it('puts the account in error state after QG_OAUTH_MAX_FAILURES failures in a row, and a success resets the count', async () => {
    // Prepare
    const account = await world.addAccount(MINUTE);
    const { deps } = world.refresh({ QG_OAUTH_MAX_FAILURES: '3' });
    const attempt = async (mode: 'success' | 'server_error') => {
      world.endpoint.mode = mode;
      return refreshAccountToken(await world.read(account.id), deps, { dueWithinSeconds: 30 * 24 * 3600 });
    };

    // Act & Assess: two failures, a success, then three failures
    await attempt('server_error');
    await attempt('server_error');
    assert.equal((await world.read(account.id)).refreshFailures, 2);
    assert.equal((await attempt('success')).outcome, 'refreshed');
    const afterSuccess = await world.read(account.id);
    assert.equal(afterSuccess.refreshFailures, undefined);
    assert.equal(afterSuccess.refreshError, undefined);
    await attempt('server_error');
    await attempt('server_error');
    assert.equal((await world.read(account.id)).health.state, 'ok');
    const third = await attempt('server_error');

    const stored = await world.read(account.id);
    assert.equal(third.failure?.errorState, true);
    assert.equal(stored.health.state, 'error');
    assert.match(stored.health.reason ?? '', /500 server_error.*\(3 failures in a row\)$/);
    // Entering error state starts the count afresh, so an admin who clears it gets every attempt back.
    assert.equal(stored.refreshFailures, undefined);
  });

  it('spends the refresh token exactly once when five refreshers race for one account', async () => {
    // Prepare: two token refreshes on separate clients stand for two Lambda instances
    world.endpoint.delayMs = 150;
    const account = await world.addAccount(MINUTE);
    const first = world.refresh().deps;
    const second = world.refresh().deps;
    const requestsBefore = world.endpoint.requests.length;

    // Act
    const results = await Promise.all(
      [first, second, first, second, first].map((deps) => refreshAccountToken(account, deps)),
    );

    // Assess
    const outcomes = results.map((result) => result.outcome);
    assert.equal(outcomes.filter((outcome) => outcome === 'refreshed').length, 1, outcomes.join());
    assert.ok(
      outcomes.every((outcome) => ['refreshed', 'already-fresh', 'skipped-lease-held'].includes(outcome)),
    );
    assert.equal(world.endpoint.requests.length - requestsBefore, 1);
    assert.deepEqual(world.endpoint.spentTwice(), []);
    assert.equal(
      credentialsOf(await world.read(account.id)).refreshToken,
      world.endpoint.issued.at(-1)?.refreshToken,
    );
  });

  it('keeps credentials that changed while the old refresh token was being spent', async () => {
    // Prepare: an admin stores a new login while the endpoint is answering
    const answer = Promise.withResolvers<void>();
    world.endpoint.held = answer.promise;
    const account = await world.addAccount(MINUTE);
    const newLogin = { accessToken: fakeToken('at'), refreshToken: fakeToken('rt') };
    const { deps } = world.refresh();
    const requestsBefore = world.endpoint.requests.length;

    // Act: the login changes once the old refresh token is at the endpoint, before it answers
    const refreshing = refreshAccountToken(account, deps);
    await eventually(() => world.endpoint.requests.length > requestsBefore);
    await world.writeCredentialsElsewhere(account.id, newLogin);
    answer.resolve();
    const result = await refreshing;

    // Assess
    assert.notEqual(result.outcome, 'refreshed');
    const stored = credentialsOf(await world.read(account.id));
    assert.equal(stored.refreshToken, newLogin.refreshToken);
    assert.equal(stored.accessToken, newLogin.accessToken);
  });

  it('leaves an account to the holder of a live lease, and takes over a lease whose expiresAt has passed', async () => {
    // Prepare
    const account = await world.addAccount(MINUTE);
    const { deps } = world.refresh();
    const putLease = (expiresAt: number) =>
      world.client.send(
        new PutCommand({
          TableName: world.tables.state,
          Item: { ...keys.refreshLease(account.id), holder: 'crashed-refresher', expiresAt },
        }),
      );
    const nowSeconds = Math.floor(Date.now() / 1000);

    // Act
    await putLease(nowSeconds + 60);
    const whileHeld = await refreshAccountToken(account, deps);
    await putLease(nowSeconds - 1);
    const afterExpiry = await refreshAccountToken(account, deps);

    // Assess
    assert.equal(whileHeld.outcome, 'skipped-lease-held');
    assert.equal(afterExpiry.outcome, 'refreshed');
  });
});
