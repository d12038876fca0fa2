/**
 * An account's health as an operator needs it in one look: the state the gateway set and why,
 * until when a cooldown runs (and whether it still does), the latest Codex 5 h / 7 d usage the
 * upstream reported, and how many requests hold (and wait for) its slots right now. In-flight
 * counts are the live slot leases of `SLOT#acct#<id>`, read consistently, so a crashed holder
 * stops counting once its lease lapses.
 *
 * @example
 * ```ts
 * const report = await accountHealthReport(deps, 'acc_5h7j9k1m3n4p');
 * report.inFlight; // 2 of report.concurrency
 * ```
 */

import { getAccount } from '../admin/accounts.ts';
import { healthHolds } from '../domain/account-health.ts';
import type { CodexUsageWindow } from '../domain/types.ts';
import type { AdminApiDeps } from './routes.ts';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export interface CodexWindowReport {
  usedPercent: number | null;
  windowMinutes: number | null;
  resetsAt: string | null;
}

export interface AccountHealthReport {
  accountId: string;
  name: string;
  status: string;
  /** `ok`, `error` (until cleared), `rate_limited` or `overloaded` (until `until`). */
  state: string;
  reason: string | null;
  until: string | null;
  /** A rate limit or overload whose `until` has not passed yet. */
  coolingDown: boolean;
  /** Whether the gateway would pick it now (active, not in error, not cooling down). */
  schedulable: boolean;
  healthUpdatedAt: string | null;
  codexUsage: {
    fiveHour: CodexWindowReport | null;
    sevenDay: CodexWindowReport | null;
    updatedAt: string;
  } | null;
  inFlight: number;
  waiting: number;
  concurrency: number;
  lastUsedAt: string | null;
}

function window(value: CodexUsageWindow | undefined): CodexWindowReport | null {
  if (!value) return null;
  return {
    usedPercent: value.usedPercent ?? null,
    windowMinutes: value.windowMinutes ?? null,
    resetsAt: iso(value.resetsAt),
  };
}

export async function accountHealthReport(
  deps: Pick<AdminApiDeps, 'store' | 'slots' | 'now'>,
  accountId: string,
): Promise<AccountHealthReport> {
  const account = await getAccount(deps.store, accountId);
  const now = deps.now();
  const nowSeconds = Math.floor(now / 1000);
  const [slots, tickets] = await Promise.all([
    deps.slots.live({ kind: 'slot', scope: 'acct', id: account.id }, nowSeconds),
    deps.slots.live({ kind: 'wait', scope: 'acct', id: account.id }, nowSeconds),
  ]);
  const { health } = account;
  const holds = healthHolds(health, now);
  const coolingDown = (health.state === 'rate_limited' || health.state === 'overloaded') && holds;
  const usage = account.codexUsage;
  return {
    accountId: account.id,
    name: account.name,
    status: account.status,
    state: health.state,
    reason: health.reason ?? null,
    until: iso(health.until),
    coolingDown,
    schedulable: account.status === 'active' && !holds,
    healthUpdatedAt: health.updatedAt ?? null,
    codexUsage: usage
      ? {
          fiveHour: window(usage.fiveHour),
          sevenDay: window(usage.sevenDay),
          updatedAt: iso(usage.updatedAt) ?? '',
        }
      : null,
    inFlight: slots.length,
    waiting: tickets.length,
    concurrency: account.concurrency,
    lastUsedAt: iso(account.lastUsedAt),
  };
}
