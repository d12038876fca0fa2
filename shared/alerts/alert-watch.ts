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
 * **Nothing lost on the way to the bus.** Before it tries a claim, a delivery stores the alert
 * record with that claim on it (pending: an outbox entry), and confirms it once the claim is won
 * or deletes it once the claim is refused. A delivery that dies anywhere in between leaves a
 * pending record, which the recorder's scheduled run finishes ({@link republishAlerts}): it tries
 * the claim again, and a refused claim that names this very record was its own (the subject's
 * item says which record took it), so the record is confirmed; otherwise it is deleted. Confirmed
 * records are published, then marked published; the scheduled run republishes the ones the bus
 * never accepted, so the bus sees every alert at least once (consumers can dedupe on `alertId`).
 * A crossing is thus taken by a claim only with its record already stored, and is alerted once.
 *
 * **Reads.** The user and key come from the recorder's own writes: clearing a charge's markers
 * on the user's balance and the key's spend answers each item as it then stands (`known`), as
 * fresh as a strongly consistent read. Only what a delivery lacks is read (strongly consistent,
 * one BatchGetItem): an item whose effect this delivery found gone or did not apply. The request
 * defaults (the thresholds users and keys inherit) are read at most once per
 * {@link ALERT_DEFAULTS_TTL_MS} per recorder instance.
 *
 * Cost: per charged request, no read in the common case; a Query of the key's period aggregates
 * when the key has a budget; writes only on a crossing (four for the delivery that alerts, three
 * for each that raced it and lost).
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
import type { ChargedItems } from '../store/usage-ledger.ts';
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

/**
 * Raises the alerts the charge of `record` made due; returns the ones this call raised. `known`
 * holds the user and key as the recorder's own writes returned them after the charge; only what
 * it lacks is read.
 */
export async function watchCharge(
  record: ChargedRecord,
  apiKeyHash: string | undefined,
  deps: AlertWatchDeps,
  known: ChargedItems = {},
): Promise<Alert[]> {
  if (record.billedNano <= 0) return [];
  const charged = await deps.store.readCharged(
    { userId: record.userId, apiKeyId: record.apiKeyId, apiKeyHash },
    { user: record.billingMode === 'balance' },
    known,
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
    await deps.store.putPending(alert, claim);
    if (await deps.store.claim(claim, alert)) {
      await deps.store.confirm(alert);
      raised.push(alert);
    } else {
      await deps.store.discard(alert);
    }
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

/**
 * Records stored at least this long ago and still unpublished are finished and republished: by
 * then the delivery that stored one has returned or died (the recorder's own writes stop at its
 * invocation's deadline, well within this).
 */
export const REPUBLISH_AFTER_MS = 60_000;
const REPUBLISH_WINDOW_MS = 86_400_000;

/**
 * Finishes and publishes the alert records of the last day the bus never accepted: pending ones
 * left by a delivery that died between storing a record and confirming or deleting it, and
 * confirmed ones the bus refused or never saw. Part of the recorder's scheduled run. Returns how
 * many it published.
 */
export async function republishAlerts(deps: AlertWatchDeps): Promise<number> {
  const now = deps.now();
  const stale = await deps.store.listUnpublished({
    fromMs: now - REPUBLISH_WINDOW_MS,
    toMs: now - REPUBLISH_AFTER_MS,
    limit: 100,
  });
  const due: Alert[] = [];
  for (const { alert, pendingClaim } of stale) {
    if (pendingClaim === undefined) due.push(alert);
    else if (await finishPending(alert, pendingClaim, deps)) due.push(alert);
  }
  if (due.length > 0) await publish(due, deps);
  return due.length;
}

/**
 * Settles a record left pending: its claim, tried again, is either taken now (the crossing is
 * still due and unalerted) or already held by this record (its delivery died after the claim);
 * then the record is confirmed. Any other refusal means another record alerted the crossing, or
 * it is no longer crossed, and the record is deleted.
 */
async function finishPending(alert: Alert, claim: AlertClaim, deps: AlertWatchDeps): Promise<boolean> {
  const won = (await deps.store.claim(claim, alert)) || (await deps.store.heldBy(claim, alert));
  if (won) await deps.store.confirm(alert);
  else await deps.store.discard(alert);
  return won;
}
