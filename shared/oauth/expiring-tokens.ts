/**
 * The schedule's pass over every OAuth account: refresh the tokens that expire within the window
 * (`QG_OAUTH_REFRESH_BEFORE_SECONDS`, 30 minutes by default) so that requests rarely meet an
 * expired token. Runs every 5 minutes, so a token is tried about six times before it expires and
 * an endpoint outage shorter than the window costs nothing.
 *
 * Accounts are refreshed a few at a time ({@link REFRESH_PARALLELISM}); no new refresh starts
 * once one could outlast the invocation's deadline (the rest wait for the next run). An account
 * that throws (DynamoDB unavailable) does not stop the others; it is counted in `errors`, which
 * the handler turns into a failed invocation so the errors alarm sees it.
 *
 * @example
 * ```ts
 * const summary = await refreshExpiringTokens(deps, { deadlineMs: Date.now() + 100_000 });
 * summary.refreshed; // 2
 * ```
 */
import type { Account } from '../domain/types.ts';
import { redactTokens } from './token-endpoint.ts';
import { isDueForScheduledRefresh, isRefreshable } from './token-expiry.ts';
import { type RefreshOutcome, refreshAccountToken, type TokenRefresherDeps } from './token-refresher.ts';

/** Refreshes in flight at once: the endpoint is OpenAI's, so be a polite client. */
export const REFRESH_PARALLELISM = 4;

export interface ScheduledRefreshSummary {
  /** OAuth accounts that could be refreshed (active, not in error, with a refresh token). */
  checked: number;
  /** Of those, the ones whose token expires within the window. */
  due: number;
  outcomes: Record<RefreshOutcome, number>;
  /** Due accounts left for the next run because the deadline was near. */
  deferred: number;
  /** Accounts whose refresh threw (storage errors), logged one by one. */
  errors: number;
}

export interface ScheduledRefreshOptions {
  /** Epoch ms by which every refresh must be over (the invocation's deadline). */
  deadlineMs?: number;
  parallelism?: number;
}

export async function refreshExpiringTokens(
  deps: TokenRefresherDeps,
  options: ScheduledRefreshOptions = {},
): Promise<ScheduledRefreshSummary> {
  const now = deps.clock.now();
  const refreshable = (await deps.accounts.listAccounts()).filter((account) => isRefreshable(account, now));
  const due = refreshable.filter((account) =>
    isDueForScheduledRefresh(account, now, deps.refreshBeforeSeconds),
  );
  const summary: ScheduledRefreshSummary = {
    checked: refreshable.length,
    due: due.length,
    outcomes: { refreshed: 0, 'already-fresh': 0, 'skipped-lease-held': 0, failed: 0 },
    deferred: 0,
    errors: 0,
  };
  // A refresh takes at most the endpoint timeout plus a few DynamoDB calls.
  const latestStart = (options.deadlineMs ?? Number.POSITIVE_INFINITY) - deps.endpoint.timeoutMs - 5_000;
  const queue: Account[] = [...due];
  const worker = async (): Promise<void> => {
    for (let account = queue.shift(); account; account = queue.shift()) {
      if (deps.clock.now() > latestStart) {
        summary.deferred += 1;
        continue;
      }
      try {
        const { outcome } = await refreshAccountToken(account, deps);
        summary.outcomes[outcome] += 1;
      } catch (error) {
        summary.errors += 1;
        deps.logger.error('token refresh threw', {
          accountId: account.id,
          error: redactTokens(String(error)),
        });
      }
    }
  };
  const workers = Math.max(1, Math.min(options.parallelism ?? REFRESH_PARALLELISM, due.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return summary;
}
