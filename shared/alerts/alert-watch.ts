/**
 * The alert watch: after the recorder charged a request, look at the charged user and key as
 * they now stand and raise the alerts that are due (see `alert.ts` for the rules).
 *
 * **Once per crossing.** A flood of requests crossing a line at the same moment all see it
 * crossed; only one of them may alert. The state that says "alerted" lives on the subject's own
 * item (the user's `lowBalanceAlertedAt`, the key's `quotaAlertPercent` and
 * `budgetAlertPeriod`/`budgetAlertPercent`) and is taken with one conditional write, the claim,
 * which also re-checks the user's balance inside its condition: exactly one delivery wins and
 * publishes. Since it compares state, not the one charge that crossed, a delivery that died
 * before alerting leaves the alert to the next charge (or to the redelivery). A top-up removes
 * `lowBalanceAlertedAt` (re-arming the alert); a budget's next period starts unalerted.
 *
 * **Nothing lost on the way to the bus.** The winner stores the alert record (the console's
 * list) before it publishes, and marks it published after; the recorder's scheduled run
 * republishes records the bus never accepted ({@link republishAlerts}), so the bus sees every
 * alert at least once (consumers can dedupe on `alertId`). If the record itself cannot be
 * stored, the claim is released so the next charge tries again.
 *
 * Cost: one strongly consistent BatchGetItem per charged request (key, user, request defaults),
 * a Query of the key's period aggregates when the key has a budget; writes only on a crossing.
 *
 * @example
 * ```ts
 * const raised = await watchCharge(record, detail.apiKeyHash, { store, publisher, logger, now: Date.now });
 * ```
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { budgetWindow } from '../billing/key-budget.ts';
import type { ApiKey, User } from '../domain/types.ts';
import type { UsageRecord } from '../recorder/usage-record.ts';
import type { AlertClaim, AlertPublisher, AlertStore } from '../store/alert-store.ts';
import { type Alert, dueKeyPercent, keyAlertLevels, lowBalanceDue } from './alert.ts';

export interface AlertWatchDeps {
  store: AlertStore;
  publisher: AlertPublisher;
  logger: Pick<Logger, 'warn'>;
  now: () => number;
}

/** What the watch needs of a usage record. */
export type ChargedRecord = Pick<
  UsageRecord,
  'requestId' | 'userId' | 'apiKeyId' | 'billingMode' | 'billedNano'
>;

interface Due {
  claim: AlertClaim;
  alert: Alert;
}

/** Raises the alerts the charge of `record` made due; returns the ones this call raised. */
export async function watchCharge(
  record: ChargedRecord,
  apiKeyHash: string | undefined,
  deps: AlertWatchDeps,
): Promise<Alert[]> {
  if (record.billedNano <= 0) return [];
  const charged = await deps.store.readCharged(
    { userId: record.userId, apiKeyId: record.apiKeyId, apiKeyHash },
    { user: record.billingMode === 'balance' },
  );
  const at = new Date(deps.now()).toISOString();
  const due: Due[] = [];
  const { user, key, defaults } = charged;
  if (user) {
    const threshold = user.lowBalanceAlertNano ?? defaults.lowBalanceAlertNano;
    if (threshold !== undefined && lowBalanceDue(user, threshold)) {
      due.push({
        claim: { kind: 'low_balance', userId: user.id, thresholdNano: threshold, at },
        alert: base('low_balance', user.id, record, at, user, undefined, user.balanceNano, threshold),
      });
    }
  }
  if (key) due.push(...(await keyAlerts(key, record, at, defaults.keyAlertPercent, deps, user)));
  const raised: Alert[] = [];
  for (const { claim, alert } of due) {
    if (!(await deps.store.claim(claim))) continue;
    try {
      await deps.store.put(alert);
    } catch (error) {
      await deps.store.release(claim);
      throw error;
    }
    raised.push(alert);
  }
  if (raised.length > 0) await publish(raised, deps);
  return raised;
}

async function keyAlerts(
  key: ApiKey,
  record: ChargedRecord,
  at: string,
  defaultPercent: number | undefined,
  deps: AlertWatchDeps,
  user: User | undefined,
): Promise<Due[]> {
  const levels = keyAlertLevels(key.alertPercent ?? defaultPercent);
  const due: Due[] = [];
  if (key.quotaNano !== undefined) {
    const spent = key.usedNano ?? 0;
    const percent = dueKeyPercent(spent, key.quotaNano, levels);
    if (percent !== undefined && percent > (key.quotaAlertPercent ?? 0)) {
      const neededNano = Number((BigInt(key.quotaNano) * BigInt(percent) + 99n) / 100n);
      due.push({
        claim: {
          kind: 'key_quota',
          keyHash: key.hash,
          percent,
          neededNano,
          ...(key.quotaAlertPercent !== undefined ? { previous: key.quotaAlertPercent } : {}),
        },
        alert: { ...base('key_quota', key.id, record, at, user, key, spent, key.quotaNano), percent },
      });
    }
  }
  if (key.budget) {
    const window = budgetWindow(key.budget.period, Date.parse(at));
    const spent = await deps.store.keySpend(key.id, window.fromDay, window.toDay);
    const percent = dueKeyPercent(spent, key.budget.limitNano, levels);
    const alerted = key.budgetAlertPeriod === window.fromDay ? (key.budgetAlertPercent ?? 0) : 0;
    if (percent !== undefined && percent > alerted) {
      due.push({
        claim: {
          kind: 'key_budget',
          keyHash: key.hash,
          percent,
          periodStart: window.fromDay,
          previous: {
            ...(key.budgetAlertPeriod !== undefined ? { periodStart: key.budgetAlertPeriod } : {}),
            ...(key.budgetAlertPercent !== undefined ? { percent: key.budgetAlertPercent } : {}),
          },
        },
        alert: {
          ...base('key_budget', key.id, record, at, user, key, spent, key.budget.limitNano),
          percent,
          period: key.budget.period,
          periodStart: window.fromDay,
        },
      });
    }
  }
  return due;
}

function base(
  kind: Alert['kind'],
  subjectId: string,
  record: ChargedRecord,
  at: string,
  user: User | undefined,
  key: ApiKey | undefined,
  valueNano: number,
  limitNano: number,
): Alert {
  return {
    alertId: `${kind}:${subjectId}:${record.requestId}`,
    kind,
    at,
    userId: record.userId,
    ...(user ? { email: user.email } : {}),
    ...(key ? { apiKeyId: key.id, ...(key.name ? { keyName: key.name } : {}) } : {}),
    valueNano,
    limitNano,
    requestId: record.requestId,
  };
}

/** Publishes and marks published; a failure is left to {@link republishAlerts}. */
async function publish(alerts: readonly Alert[], deps: AlertWatchDeps): Promise<void> {
  try {
    await deps.publisher.publish(alerts);
  } catch (error) {
    deps.logger.warn('alerts not accepted by the bus; the scheduled run republishes them', {
      alertIds: alerts.map((alert) => alert.alertId),
      error: error instanceof Error ? error.name : String(error),
    });
    return;
  }
  const publishedAt = new Date(deps.now()).toISOString();
  await Promise.all(alerts.map((alert) => deps.store.markPublished(alert, publishedAt)));
}

/** Alerts stored at least this long ago without being published are republished. */
export const REPUBLISH_AFTER_MS = 60_000;
const REPUBLISH_WINDOW_MS = 86_400_000;

/**
 * Publishes again the alerts of the last day the bus never accepted (a crash or a refusal
 * between storing and publishing); part of the recorder's scheduled run. Returns how many.
 */
export async function republishAlerts(deps: AlertWatchDeps): Promise<number> {
  const now = deps.now();
  const stale = await deps.store.list({
    fromMs: now - REPUBLISH_WINDOW_MS,
    toMs: now - REPUBLISH_AFTER_MS,
    limit: 100,
    unpublished: true,
  });
  if (stale.length > 0) await publish(stale, deps);
  return stale.length;
}
