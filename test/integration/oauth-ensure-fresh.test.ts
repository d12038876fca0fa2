import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TokenRefreshError } from '#shared/oauth/token-refresh-error.ts';
import { DynamoRefreshLeases } from '#shared/store/dynamo/oauth-refresh-leases.ts';
import { credentialsOf, fakeToken, MINUTE, oauthWorldForSuite } from './oauth-harness.ts';

describe('ensureFreshToken (the gateway hook)', () => {
  const world = oauthWorldForSuite({ resetEndpointEachTest: true });

  it('returns an account whose token is still valid as it is, without calling the endpoint', async () => {
    // Prepare
    const account = await world.addAccount(10 * MINUTE);
    const requests = world.endpoint.requests.length;

    // Act
    const fresh = await world.refresh().ensureFreshToken(account);

    // Assess
    assert.equal(fresh, account);
    assert.equal(world.endpoint.requests.length, requests);
  });

  it('leaves API-key accounts and OAuth tokens of unknown expiry alone', async () => {
    // Prepare
    const apiKey = await world.addAccount(null, { type: 'apikey', credentials: { apiKey: fakeToken('sk') } });
    const unknown = await world.addAccount(null);
    const requests = world.endpoint.requests.length;
    const tokens = world.refresh();

    // Act & Assess
    assert.equal(await tokens.ensureFreshToken(apiKey), apiKey);
    assert.equal(await tokens.ensureFreshToken(unknown), unknown);
    assert.equal(world.endpoint.requests.length, requests);
  });

  it('refreshes an expired token before the request and returns the new one', async () => {
    // Prepare
    const account = await world.addAccount(-MINUTE);

    // Act
    const fresh = await world.refresh().ensureFreshToken(account);

    // Assess
    const issued = world.endpoint.issued.at(-1);
    assert.equal(credentialsOf(fresh).accessToken, issued?.accessToken);
    assert.equal(credentialsOf(fresh).chatgptAccountId, credentialsOf(account).chatgptAccountId);
    assert.equal(fresh.id, account.id);
    assert.equal(credentialsOf(await world.read(account.id)).accessToken, issued?.accessToken);
  });

  it('refreshes a token that expires within the next minute', async () => {
    // Prepare
    const account = await world.addAccount(30_000);

    // Act
    const fresh = await world.refresh().ensureFreshToken(account);

    // Assess
    assert.equal(credentialsOf(fresh).accessToken, world.endpoint.issued.at(-1)?.accessToken);
  });

  it('gives five concurrent requests on an expired account the same new token, spending the old one once', async () => {
    // Prepare
    world.endpoint.delayMs = 200;
    const account = await world.addAccount(-MINUTE);
    // The delay keeps the five calls overlapping; the timeout is well above it so a loaded
    // machine cannot turn the one refresh into a timeout.
    const patient = { QG_OAUTH_TIMEOUT_MS: '5000' };
    const instances = [world.refresh(patient), world.refresh(patient)];
    const requests = world.endpoint.requests.length;

    // Act
    const results = await Promise.all(
      [0, 1, 0, 1, 0].map((index) => instances[index]?.ensureFreshToken(account)),
    );

    // Assess
    assert.equal(world.endpoint.requests.length - requests, 1);
    assert.deepEqual(world.endpoint.spentTwice(), []);
    const issued = world.endpoint.issued.at(-1)?.accessToken;
    assert.deepEqual(
      results.map((fresh) => fresh && credentialsOf(fresh).accessToken),
      [issued, issued, issued, issued, issued],
    );
  });

  it('waits for the token another refresher is writing instead of spending the refresh token itself', async () => {
    // Prepare: another process holds the lease and writes new credentials 300 ms later
    const account = await world.addAccount(-MINUTE);
    const leases = new DynamoRefreshLeases(world.client, world.tables.state);
    const nowSeconds = Math.floor(Date.now() / 1000);
    assert.ok(await leases.acquire(account.id, 'other-instance', nowSeconds + 30, nowSeconds));
    const written = { accessToken: fakeToken('at'), refreshToken: fakeToken('rt') };
    const otherRefresher = (async () => {
      await sleep(300);
      await world.writeCredentialsElsewhere(account.id, written);
      await leases.release(account.id, 'other-instance');
    })();
    const requests = world.endpoint.requests.length;

    // Act
    const fresh = await world.refresh().ensureFreshToken(account);
    await otherRefresher;

    // Assess
    assert.equal(credentialsOf(fresh).accessToken, written.accessToken);
    assert.equal(world.endpoint.requests.length, requests);
  });

  it('throws a busy TokenRefreshError when the other refresher does not finish within the wait', async () => {
    // Prepare
    const account = await world.addAccount(-MINUTE);
    const leases = new DynamoRefreshLeases(world.client, world.tables.state);
    const nowSeconds = Math.floor(Date.now() / 1000);
    await leases.acquire(account.id, 'stuck-instance', nowSeconds + 60, nowSeconds);
    const tokens = world.refresh({}, { waitForRefresherMs: 400 });

    // Act & Assess
    await assert.rejects(tokens.ensureFreshToken(account), (error: unknown) => {
      assert.ok(error instanceof TokenRefreshError);
      assert.equal(error.kind, 'busy');
      assert.equal(error.upstreamStatus, 503);
      assert.equal(error.accountId, account.id);
      return true;
    });
  });

  it('throws a rejected TokenRefreshError (status 401) on invalid_grant, and the account is in error state', async () => {
    // Prepare
    world.endpoint.mode = 'invalid_grant';
    const account = await world.addAccount(-MINUTE);

    // Act & Assess
    await assert.rejects(world.refresh().ensureFreshToken(account), (error: unknown) => {
      assert.ok(error instanceof TokenRefreshError);
      assert.equal(error.kind, 'rejected');
      assert.equal(error.upstreamStatus, 401);
      assert.match(error.message, /invalid_grant/);
      assert.ok(!error.message.includes(credentialsOf(account).refreshToken ?? '-'));
      return true;
    });
    assert.equal((await world.read(account.id)).health.state, 'error');
  });

  it('throws an unavailable TokenRefreshError (status 503) when the endpoint times out, keeping the old token', async () => {
    // Prepare
    world.endpoint.mode = 'timeout';
    const account = await world.addAccount(-MINUTE);

    // Act & Assess
    await assert.rejects(world.refresh({ QG_OAUTH_TIMEOUT_MS: '200' }).ensureFreshToken(account), {
      name: 'TokenRefreshError',
      kind: 'unavailable',
      upstreamStatus: 503,
    });
    const stored = await world.read(account.id);
    assert.deepEqual(stored.credentials, account.credentials);
    assert.equal(stored.health.state, 'ok');
  });

  it('serves the token it refreshed from memory while the caller still holds the expired one', async () => {
    // Prepare
    const account = await world.addAccount(-MINUTE);
    const tokens = world.refresh();
    const fresh = await tokens.ensureFreshToken(account);
    world.endpoint.mode = 'server_error';
    const requests = world.endpoint.requests.length;

    // Act: the gateway's config cache hands over the stale item again
    const again = await tokens.ensureFreshToken(account);

    // Assess
    assert.deepEqual(again.credentials, fresh.credentials);
    assert.equal(world.endpoint.requests.length, requests);
  });
});
