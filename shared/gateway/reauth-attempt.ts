/**
 * One attempt on one account, with Codex's own cure for a refused OAuth token: an OAuth account
 * that answers 401 gets one forced token refresh and one more try before it is marked, since
 * its access token may have been revoked or rotated before its stated expiry. A refresh that
 * fails leaves the account marked as the 401 said, and the request fails over.
 *
 * @example
 * ```ts
 * const { result, target } = await attemptWithReauth(context, account, (fresh) => api.target({ account: fresh, … }));
 * ```
 */
import type { Account } from '../domain/types.ts';
import { TokenRefreshError } from '../oauth/token-refresh-error.ts';
import type { AttemptContext, AttemptResult } from './attempt.ts';
import { attemptAccount } from './forward-attempt.ts';
import { writeHealth } from './upstream-rejection.ts';
import type { UpstreamTarget } from './upstream-request.ts';

export interface ReauthAttempt {
  result: Exclude<AttemptResult, { kind: 'reauth' }>;
  /** The target of the try that gave the result (the retry's, after a refresh). */
  target: UpstreamTarget;
}

export async function attemptWithReauth(
  context: AttemptContext,
  account: Account,
  targetFor: (account: Account) => UpstreamTarget,
): Promise<ReauthAttempt> {
  const { deps } = context;
  const target = targetFor(account);
  const first = await attemptAccount({ ...context, canReauth: account.type === 'oauth' }, account, target);
  if (first.kind !== 'reauth') return { result: first, target };
  let refreshed: Account;
  try {
    refreshed = await deps.forceTokenRefresh(account);
  } catch (error) {
    if (!(error instanceof TokenRefreshError)) throw error;
    deps.logger.warn('upstream 401; token not refreshed', { accountId: account.id, kind: error.kind });
    if (first.health) await writeHealth(deps, account.id, first.health);
    const until = first.health?.until;
    return { result: { kind: 'failover', upstreamStatus: 401, ...(until ? { until } : {}) }, target };
  }
  deps.logger.info('upstream 401; retrying with a refreshed token', { accountId: account.id });
  const retryTarget = targetFor(refreshed);
  const retry = await attemptAccount({ ...context, canReauth: false }, refreshed, retryTarget);
  // canReauth was false, so the retry cannot ask for another refresh.
  return { result: retry as ReauthAttempt['result'], target: retryTarget };
}
