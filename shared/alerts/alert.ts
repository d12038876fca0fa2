/**
 * Alerts: a user's balance falling below its threshold, a key's lifetime quota or its period
 * budget reaching a percentage of the limit. Each is one event on the bus (source
 * {@link ALERT_EVENT_SOURCE}, detail-type {@link ALERT_EVENT_DETAIL_TYPE}; the stack routes them
 * to an SNS topic) and one record the console lists, **once per crossing**, however many
 * requests cross it at once (see `alert-watch.ts` for how).
 *
 * This module holds the contract and the rules, without I/O: which alerts a charged user and
 * key are due, given their state after the charge.
 *
 * @example
 * ```ts
 * dueKeyPercent(900_000_000, 1_000_000_000, [80, 100]); // 80: 90 % spent, the 80 % level is due
 * lowBalanceDue({ balanceNano: 4e8 }, 1e9); // true: below 1 USD and not alerted yet
 * ```
 */
import type { BudgetPeriod } from '../domain/types.ts';

export const ALERT_EVENT_SOURCE = 'quotagate.alerts';
export const ALERT_EVENT_DETAIL_TYPE = 'quotagate.alert.v1';

/** A key alerts at this share of its quota or budget (and at 100 %) unless told otherwise. */
export const DEFAULT_KEY_ALERT_PERCENT = 80;

export type AlertKind = 'low_balance' | 'key_quota' | 'key_budget';

/** One alert as published on the bus and kept (30 days) for the console. */
export interface Alert {
  /** `<kind>:<subject id>:<request id>`: the same alert published twice has the same id. */
  alertId: string;
  kind: AlertKind;
  /** ISO time the crossing was recorded. */
  at: string;
  userId: string;
  email?: string;
  apiKeyId?: string;
  keyName?: string;
  /** Key alerts: the level reached, in percent of the limit (e.g. 80 or 100). */
  percent?: number;
  /** The balance (low_balance) or what the key spent (of its quota, or in the budget's period). */
  valueNano: number;
  /** The threshold (low_balance) or the limit (quota, budget). */
  limitNano: number;
  /** Budget alerts: the period and its first day. */
  period?: BudgetPeriod;
  periodStart?: string;
  /** The usage record whose charge crossed the line. */
  requestId: string;
  /** ISO time the event was accepted by the bus; absent until then. */
  publishedAt?: string;
}

/** The alert levels of a key: its own percent (or the default) and 100, ascending. */
export function keyAlertLevels(percent: number | undefined): number[] {
  const first = percent ?? DEFAULT_KEY_ALERT_PERCENT;
  return first >= 100 ? [100] : [first, 100];
}

/**
 * The highest level `spentNano` has reached of `limitNano`, or undefined below the lowest. In
 * integers: spent × 100 ≥ limit × level, so no float decides a crossing.
 */
export function dueKeyPercent(
  spentNano: number,
  limitNano: number,
  levels: readonly number[],
): number | undefined {
  if (limitNano <= 0) return undefined;
  let due: number | undefined;
  for (const level of levels) {
    if (BigInt(spentNano) * 100n >= BigInt(limitNano) * BigInt(level)) due = level;
  }
  return due;
}

/** Whether a balance below `thresholdNano` is due an alert: not alerted since the last top-up. */
export function lowBalanceDue(
  user: { balanceNano: number; lowBalanceAlertedAt?: string },
  thresholdNano: number | undefined,
): boolean {
  return (
    thresholdNano !== undefined && user.balanceNano < thresholdNano && user.lowBalanceAlertedAt === undefined
  );
}
