/**
 * Refreshes one OAuth account's token, safely against every other refresher (gateway instances on
 * demand, the schedule). OpenAI rotates refresh tokens: spending one twice kills the account. So:
 *
 * 1. Take the account's refresh lease (a conditional Put in the State table); if someone else
 *    holds it, do nothing (`skipped-lease-held`).
 * 2. Re-read the account with a consistent read. If its refresh token is no longer the one the
 *    caller saw, or its token no longer needs refreshing, another refresher just did it
 *    (`already-fresh`). An account an admin disabled or another refresher put in error is left.
 * 3. Spend the refresh token at the endpoint, within a timeout shorter than the lease.
 * 4. Success: write the new tokens, conditioned on the spent token still being stored, and clear
 *    the failure count (`refreshed`). Failure: count it; `invalid_grant` (or any permanent answer)
 *    or the `maxFailures`-th failure in a row puts the account in error state with the reason
 *    (`failed`). A timeout counts as a failure and leaves the old token in place.
 * 5. Release the lease, whatever happened.
 *
 * No token ever reaches a log line, an error message or a health reason.
 *
 * @example
 * ```ts
 * const result = await refreshAccountToken(account, deps, { dueWithinSeconds: 1800 });
 * if (result.outcome === 'refreshed') result.account?.credentials;
 * ```
 */

import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Clock, epochSeconds } from '../concurrency/clock.ts';
import { inErrorState } from '../domain/account-health.ts';
import type { Account, OAuthCredentials } from '../domain/types.ts';
import type { OAuthAccountStore, RefreshedCredentials } from '../store/oauth-accounts.ts';
import type { RefreshLeases } from '../store/refresh-leases.ts';
import { chatgptAccountIdOf, jwtExpiresAtMs } from './jwt-claims.ts';
import {
  redactTokens,
  requestTokenRefresh,
  TokenEndpointError,
  type TokenEndpointOptions,
  type TokenGrant,
} from './token-endpoint.ts';
import { accessTokenExpiresAtMs, expiresWithin } from './token-expiry.ts';

export type RefreshLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface TokenRefresherDeps {
  accounts: OAuthAccountStore;
  leases: RefreshLeases;
  endpoint: TokenEndpointOptions;
  /** Consecutive failures that put an account in error state. */
  maxFailures: number;
  /** The window a refresh is for when the caller names none (the schedule's). */
  refreshBeforeSeconds: number;
  clock: Clock;
  logger: RefreshLogger;
}

export type RefreshOutcome = 'refreshed' | 'already-fresh' | 'skipped-lease-held' | 'failed';

export interface RefreshResult {
  outcome: RefreshOutcome;
  /** The account as stored after the refresh (`refreshed`, `already-fresh`). */
  account?: Account;
  /**
   * Why it failed, secret-free. `permanent`: retrying this refresh token cannot help;
   * `errorState`: the account is (now) in error state, out of rotation until an admin clears it.
   */
  failure?: { reason: string; permanent: boolean; errorState: boolean };
}

/** Time the lease outlives the endpoint timeout: the reads and writes around the call. */
export const LEASE_MARGIN_SECONDS = 30;

/** The lease must outlast the endpoint call, or a second refresher could spend the same token. */
export function leaseSecondsFor(timeoutMs: number): number {
  return Math.ceil(timeoutMs / 1000) + LEASE_MARGIN_SECONDS;
}

export async function refreshAccountToken(
  account: Account,
  deps: TokenRefresherDeps,
  options: { dueWithinSeconds?: number } = {},
): Promise<RefreshResult> {
  const holder = randomUUID();
  const nowSeconds = epochSeconds(deps.clock.now());
  const leaseUntil = nowSeconds + leaseSecondsFor(deps.endpoint.timeoutMs);
  if (!(await deps.leases.acquire(account.id, holder, leaseUntil, nowSeconds)))
    return { outcome: 'skipped-lease-held' };
  try {
    const seen = (account.credentials as OAuthCredentials).refreshToken;
    return await refreshUnderLease(
      account.id,
      seen,
      deps,
      options.dueWithinSeconds ?? deps.refreshBeforeSeconds,
    );
  } finally {
    await deps.leases.release(account.id, holder).catch((error: unknown) =>
      // Harmless: the lease expires on its own within a minute.
      deps.logger.warn('token refresh: lease not released', {
        accountId: account.id,
        error: redactTokens(String(error)),
      }),
    );
  }
}

async function refreshUnderLease(
  accountId: string,
  seenRefreshToken: string | undefined,
  deps: TokenRefresherDeps,
  dueWithinSeconds: number,
): Promise<RefreshResult> {
  const current = await deps.accounts.getAccount(accountId);
  if (current?.type !== 'oauth') {
    return {
      outcome: 'failed',
      failure: { reason: 'account no longer exists', permanent: true, errorState: false },
    };
  }
  if (inErrorState(current.health, deps.clock.now()) || current.status !== 'active') {
    const reason = current.health?.reason ?? `account is ${current.status}`;
    return { outcome: 'failed', account: current, failure: { reason, permanent: true, errorState: true } };
  }
  const credentials = current.credentials as OAuthCredentials;
  const now = deps.clock.now();
  if (credentials.refreshToken !== seenRefreshToken || !isStillDue(current, now, dueWithinSeconds))
    return { outcome: 'already-fresh', account: current };
  if (!credentials.refreshToken) {
    const failure = new TokenEndpointError('the account has no refresh token', {
      permanent: true,
      code: 'no_refresh_token',
    });
    return recordFailure(current, undefined, failure, deps);
  }

  let grant: TokenGrant;
  try {
    grant = await requestTokenRefresh(credentials.refreshToken, deps.endpoint);
  } catch (error) {
    if (!(error instanceof TokenEndpointError)) throw error;
    return recordFailure(current, credentials.refreshToken, error, deps);
  }
  return saveGrant(current, credentials.refreshToken, grant, deps);
}

/**
 * Due by the caller's window. A token of unknown expiry stays due: the caller came because of its
 * own rule (the schedule's age rule), and the refresh-token check above already caught a racer.
 */
function isStillDue(account: Account, nowMs: number, dueWithinSeconds: number): boolean {
  const credentials = account.credentials as OAuthCredentials;
  return (
    accessTokenExpiresAtMs(credentials) === undefined || expiresWithin(credentials, nowMs, dueWithinSeconds)
  );
}

async function saveGrant(
  account: Account,
  spent: string,
  grant: TokenGrant,
  deps: TokenRefresherDeps,
): Promise<RefreshResult> {
  const now = deps.clock.now();
  const expiresAtMs =
    grant.expiresInSeconds !== undefined
      ? now + grant.expiresInSeconds * 1000
      : jwtExpiresAtMs(grant.accessToken);
  const credentials: RefreshedCredentials = {
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken ?? spent,
    refreshedAt: new Date(now).toISOString(),
  };
  if (expiresAtMs !== undefined) credentials.expiresAt = new Date(expiresAtMs).toISOString();
  if (!(account.credentials as OAuthCredentials).chatgptAccountId) {
    const chatgptAccountId = chatgptAccountIdOf(grant.idToken) ?? chatgptAccountIdOf(grant.accessToken);
    if (chatgptAccountId) credentials.chatgptAccountId = chatgptAccountId;
  }
  let saved: Account | undefined;
  try {
    saved = await deps.accounts.saveRefreshed(account.id, spent, credentials);
  } catch (error) {
    // The old refresh token is spent and the new one only exists in this process: say so loudly.
    deps.logger.error('token refresh: new tokens could not be saved; the account will need a new login', {
      accountId: account.id,
      error: redactTokens(String(error)),
    });
    throw error;
  }
  if (saved) {
    deps.logger.info('token refreshed', { accountId: account.id, expiresAt: credentials.expiresAt });
    return { outcome: 'refreshed', account: saved };
  }
  // The stored refresh token changed while this one was being spent (an admin replaced it, or this
  // refresher outlived its lease): the stored one is newer, so ours is dropped.
  deps.logger.warn('token refresh: stored credentials changed meanwhile; new tokens discarded', {
    accountId: account.id,
  });
  const current = await deps.accounts.getAccount(account.id);
  const fresh = current && !expiresWithin(current.credentials as OAuthCredentials, now, 0);
  return fresh
    ? { outcome: 'already-fresh', account: current }
    : {
        outcome: 'failed',
        failure: { reason: 'credentials changed during refresh', permanent: false, errorState: false },
      };
}

async function recordFailure(
  account: Account,
  spent: string | undefined,
  error: TokenEndpointError,
  deps: TokenRefresherDeps,
): Promise<RefreshResult> {
  const previousFailures = account.refreshFailures ?? 0;
  const failures = previousFailures + 1;
  const errorState = error.permanent || failures >= deps.maxFailures;
  const reason = `token refresh failed: ${error.message}`;
  const updatedAt = new Date(deps.clock.now()).toISOString();
  const health = errorState
    ? {
        state: 'error' as const,
        reason: error.permanent ? reason : `${reason} (${failures} failures in a row)`,
        updatedAt,
      }
    : undefined;
  const recorded = await deps.accounts.recordFailure(account.id, spent, {
    previousFailures,
    failures,
    reason,
    ...(health ? { health } : {}),
  });
  const details = {
    accountId: account.id,
    code: error.code,
    status: error.status,
    permanent: error.permanent,
    failures,
    reason,
    recorded,
  };
  if (errorState) deps.logger.error('token refresh failed; account put in error state', details);
  else deps.logger.warn('token refresh failed', details);
  return {
    outcome: 'failed',
    failure: {
      reason: health?.reason ?? reason,
      permanent: error.permanent,
      errorState: errorState && recorded,
    },
  };
}
