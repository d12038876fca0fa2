import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@aws-lambda-powertools/logger';
import { credentialsOf, MINUTE, oauthWorldForSuite } from './oauth-harness.ts';

describe('token refresh and secrets', () => {
  const world = oauthWorldForSuite();

  it('never writes an access, refresh or id token to a log line, an error message or a health reason', async (t) => {
    // Prepare: the real Powertools logger, printing through the global console (POWERTOOLS_DEV), captured
    const printed: string[] = [];
    for (const method of ['debug', 'info', 'warn', 'error', 'log', 'trace'] as const) {
      t.mock.method(console, method, (...args: unknown[]) => {
        printed.push(args.map(String).join(' '));
      });
    }
    const previousDev = process.env.POWERTOOLS_DEV;
    process.env.POWERTOOLS_DEV = 'true';
    const logger = new Logger({ serviceName: 'oauth-secrets-test', logLevel: 'DEBUG' });
    if (previousDev === undefined) delete process.env.POWERTOOLS_DEV;
    else process.env.POWERTOOLS_DEV = previousDev;
    const tokens = world.refresh({ QG_OAUTH_TIMEOUT_MS: '200', QG_OAUTH_MAX_FAILURES: '2' }, { logger });
    const accounts = {
      refreshed: await world.addAccount(-MINUTE),
      revoked: await world.addAccount(-MINUTE),
      failing: await world.addAccount(MINUTE),
      hanging: await world.addAccount(-MINUTE),
    };
    const errors: string[] = [];
    const attempt = async (mode: typeof world.endpoint.mode, run: () => Promise<unknown>) => {
      world.endpoint.mode = mode;
      await run().catch((error: unknown) => errors.push(`${String(error)}\n${(error as Error).stack ?? ''}`));
    };

    // Act: a success, invalid_grant (whose description quotes the token back), a timeout, 500s
    await attempt('success', () => tokens.ensureFreshToken(accounts.refreshed));
    await attempt('invalid_grant', () => tokens.ensureFreshToken(accounts.revoked));
    await attempt('timeout', () => tokens.ensureFreshToken(accounts.hanging));
    await attempt('server_error', () => tokens.refreshExpiringTokens());
    await attempt('server_error', () => tokens.refreshExpiringTokens());

    // Assess
    const stored = await Promise.all(Object.values(accounts).map((account) => world.read(account.id)));
    const reasons = stored.flatMap((account) => [account.health.reason ?? '', account.refreshError ?? '']);
    const secrets = [
      ...Object.values(accounts).flatMap((account) => [
        credentialsOf(account).accessToken,
        credentialsOf(account).refreshToken ?? '',
      ]),
      ...world.endpoint.issued.flatMap((issued) => [issued.accessToken, issued.refreshToken, issued.idToken]),
    ];
    assert.ok(
      printed.some((line) => line.includes(accounts.revoked.id)),
      'nothing was logged',
    );
    assert.equal(errors.filter((text) => text.startsWith('TokenRefreshError')).length, 2);
    assert.deepEqual(
      stored.map((account) => account.health.state),
      ['ok', 'error', 'error', 'error'],
    );
    for (const text of [...printed, ...errors, ...reasons]) {
      for (const secret of secrets) {
        assert.ok(secret.length > 20 && !text.includes(secret), `a token leaked into: ${text}`);
        // Not even a telling piece of one.
        assert.ok(!text.includes(secret.slice(-16)), `part of a token leaked into: ${text}`);
      }
    }
  });
});
