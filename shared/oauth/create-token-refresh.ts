/**
 * Token refresh for OAuth (ChatGPT) accounts, assembled from a DynamoDB client, the table names
 * and the settings: the one place that picks the implementations behind the refresher.
 *
 * - `ensureFreshToken(account)`: the gateway calls it before building an OAuth upstream request.
 *   A token valid for more than a minute (or of unknown expiry) comes back as is, with no I/O.
 *   An expired one is refreshed now; if another refresher holds the lease, this waits (polling
 *   the account) up to `waitForRefresherMs` for the new token. It throws
 *   {@link TokenRefreshError} when no fresh token could be had: fail over to another account.
 * - `forceRefresh(account)`: after an upstream 401, a new token now (one spend of the refresh token,
 *   under the same lease), so the request can try the same account once more.
 * - `refreshExpiringTokens()`: the schedule's pass (see `expiring-tokens.ts`).
 *
 * A token refreshed here is remembered in memory, so the gateway's config cache (which still holds
 * the expired token for a few seconds) does not cost a lease round trip on every request.
 *
 * @example
 * ```ts
 * const tokens = createTokenRefresh({ client: documentClient(), tables: settings.tables, settings });
 * const account = await tokens.ensureFreshToken(selected.account); // throws TokenRefreshError
 * ```
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { type Clock, systemClock } from '../concurrency/clock.ts';
import { inErrorState } from '../domain/account-health.ts';
import type { Account, OAuthCredentials } from '../domain/types.ts';
import type { OAuthRefreshSettings } from '../settings.ts';
import type { DocumentClient } from '../store/dynamo/document-client.ts';
import { DynamoOAuthAccountStore } from '../store/dynamo/oauth-account-store.ts';
import { DynamoRefreshLeases } from '../store/dynamo/oauth-refresh-leases.ts';
import type { TableNames } from '../tables/definitions.ts';
import {
  refreshExpiringTokens,
  type ScheduledRefreshOptions,
  type ScheduledRefreshSummary,
} from './expiring-tokens.ts';
import { isExpiredForRequest, REQUEST_EXPIRY_MARGIN_SECONDS } from './token-expiry.ts';
import { TokenRefreshError } from './token-refresh-error.ts';
import {
  type RefreshLogger,
  type RefreshResult,
  refreshAccountToken,
  type TokenRefresherDeps,
} from './token-refresher.ts';

/** How long a request waits for another refresher's new token before failing over. */
export const WAIT_FOR_REFRESHER_MS = 5_000;
const POLL_INTERVAL_MS = 250;

export interface TokenRefreshInput {
  client: DocumentClient;
  tables: Pick<TableNames, 'config' | 'state'>;
  settings: OAuthRefreshSettings;
  fetch?: typeof fetch;
  clock?: Clock;
  logger?: RefreshLogger;
  waitForRefresherMs?: number;
}

export interface TokenRefresh {
  /** The account with a token valid for at least a minute; throws {@link TokenRefreshError}. */
  ensureFreshToken(account: Account): Promise<Account>;
  /**
   * The account with a new access token whatever the old one's expiry, for an upstream that
   * refused the old one with 401 (revoked or rotated early). Throws {@link TokenRefreshError}.
   */
  forceRefresh(account: Account): Promise<Account>;
  refreshExpiringTokens(options?: ScheduledRefreshOptions): Promise<ScheduledRefreshSummary>;
  /** The dependencies, for callers that drive `refreshAccountToken` themselves (tests, tools). */
  readonly deps: TokenRefresherDeps;
}

/** A refresh that brought no token, as the error the gateway fails over on. */
function refreshFailed(account: Account, result: RefreshResult): TokenRefreshError {
  const failure = result.failure;
  const kind = failure?.permanent || failure?.errorState ? 'rejected' : 'unavailable';
  return new TokenRefreshError(account.id, kind, failure?.reason ?? 'refresh failed');
}

export function createTokenRefresh(input: TokenRefreshInput): TokenRefresh {
  const { settings } = input;
  const deps: TokenRefresherDeps = {
    accounts: new DynamoOAuthAccountStore(input.client, input.tables.config),
    leases: new DynamoRefreshLeases(input.client, input.tables.state),
    endpoint: {
      url: settings.oauthTokenUrl,
      clientId: settings.oauthClientId,
      timeoutMs: settings.oauthTimeoutMs,
      ...(input.fetch ? { fetch: input.fetch } : {}),
    },
    maxFailures: settings.oauthMaxFailures,
    refreshBeforeSeconds: settings.oauthRefreshBeforeSeconds,
    clock: input.clock ?? systemClock,
    logger: input.logger ?? new Logger({ serviceName: 'quotagate-token-refresh' }),
  };
  const waitMs = input.waitForRefresherMs ?? WAIT_FOR_REFRESHER_MS;
  // Credentials this process refreshed or saw refreshed, newest per account.
  const refreshed = new Map<string, OAuthCredentials>();

  const withCredentials = (account: Account, credentials: OAuthCredentials): Account => {
    refreshed.set(account.id, credentials);
    return { ...account, credentials };
  };

  /** Polls the account until `done` says another refresher's token is there, up to `waitMs`. */
  async function waitForOtherRefresher(
    account: Account,
    done = (credentials: OAuthCredentials) => !isExpiredForRequest(credentials, deps.clock.now()),
  ): Promise<Account> {
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      await sleep(POLL_INTERVAL_MS);
      const current = await deps.accounts.getAccount(account.id);
      if (!current) break;
      const credentials = current.credentials as OAuthCredentials;
      if (done(credentials)) return withCredentials(account, credentials);
      if (inErrorState(current.health, deps.clock.now()))
        throw new TokenRefreshError(
          account.id,
          'rejected',
          current.health.reason ?? 'account in error state',
        );
    }
    throw new TokenRefreshError(account.id, 'busy', `another refresher did not finish within ${waitMs} ms`);
  }

  return {
    deps,
    async ensureFreshToken(account) {
      if (account.type !== 'oauth') return account;
      const now = deps.clock.now();
      if (!isExpiredForRequest(account.credentials as OAuthCredentials, now)) return account;
      const known = refreshed.get(account.id);
      if (known && !isExpiredForRequest(known, now)) return { ...account, credentials: known };

      // A second round only when a racer changed the refresh token yet left the access token expired.
      let current = account;
      for (let round = 0; round < 2; round++) {
        const result = await refreshAccountToken(current, deps, {
          dueWithinSeconds: REQUEST_EXPIRY_MARGIN_SECONDS,
        });
        if (result.outcome === 'skipped-lease-held') return waitForOtherRefresher(account);
        if (result.outcome === 'failed' || !result.account) throw refreshFailed(account, result);
        const credentials = result.account.credentials as OAuthCredentials;
        // A token just issued is used even if short-lived: spending another would not do better.
        if (result.outcome === 'refreshed' || !isExpiredForRequest(credentials, deps.clock.now()))
          return withCredentials(account, credentials);
        current = result.account;
      }
      throw new TokenRefreshError(account.id, 'unavailable', 'the refreshed token is already expiring');
    },
    async forceRefresh(account) {
      if (account.type !== 'oauth') return account;
      const rejected = (account.credentials as OAuthCredentials).accessToken;
      const replaced = (credentials: OAuthCredentials) => credentials.accessToken !== rejected;
      // Due whatever its stated expiry: the upstream just refused this access token.
      const result = await refreshAccountToken(account, deps, { dueWithinSeconds: Number.MAX_SAFE_INTEGER });
      if (result.outcome === 'skipped-lease-held') return waitForOtherRefresher(account, replaced);
      if (result.outcome === 'failed' || !result.account) throw refreshFailed(account, result);
      const credentials = result.account.credentials as OAuthCredentials;
      if (!replaced(credentials))
        throw new TokenRefreshError(account.id, 'unavailable', 'the refresh left the refused token in place');
      return withCredentials(account, credentials);
    },
    refreshExpiringTokens: (options) => refreshExpiringTokens(deps, options),
  };
}
