/**
 * The daily, weekly and monthly usage windows of a subscription, kept this way: a
 * window starts on first use and lasts 24 h, 7 d or 30 d; usage recorded after it ended starts
 * the next window at that request. Amounts are nano-USD before the rate multiplier.
 *
 * Reading (the eligibility check, GET /v1/usage) and writing (the recorder) share these rules,
 * so a window that has run out counts as empty for the check at the same instant the recorder
 * would start a new one.
 *
 * @example
 * ```ts
 * windowUsage(subscription, WINDOWS[0], Date.now()); // { usedNano, resetsAt } of the daily window
 * ```
 */
import type { Group, Subscription } from '../domain/types.ts';

const HOUR_MS = 3_600_000;

export type WindowName = 'daily' | 'weekly' | 'monthly';

export interface WindowDefinition {
  name: WindowName;
  durationMs: number;
  startField: 'dailyWindowStartMs' | 'weeklyWindowStartMs' | 'monthlyWindowStartMs';
  usedField: 'dailyUsedNano' | 'weeklyUsedNano' | 'monthlyUsedNano';
  limitField: 'dailyLimitNano' | 'weeklyLimitNano' | 'monthlyLimitNano';
}

export const WINDOWS: readonly WindowDefinition[] = [
  {
    name: 'daily',
    durationMs: 24 * HOUR_MS,
    startField: 'dailyWindowStartMs',
    usedField: 'dailyUsedNano',
    limitField: 'dailyLimitNano',
  },
  {
    name: 'weekly',
    durationMs: 7 * 24 * HOUR_MS,
    startField: 'weeklyWindowStartMs',
    usedField: 'weeklyUsedNano',
    limitField: 'weeklyLimitNano',
  },
  {
    name: 'monthly',
    durationMs: 30 * 24 * HOUR_MS,
    startField: 'monthlyWindowStartMs',
    usedField: 'monthlyUsedNano',
    limitField: 'monthlyLimitNano',
  },
];

export interface WindowUsage {
  name: WindowName;
  usedNano: number;
  /** Absent when the group sets no limit for this window. */
  limitNano: number | undefined;
  /** Epoch ms the running window started; absent when none is running. */
  startedAt: number | undefined;
  /** Epoch ms the running window ends; absent when none is running (the next use starts one). */
  resetsAt: number | undefined;
}

type WindowState = Pick<Subscription, WindowDefinition['startField'] | WindowDefinition['usedField']>;

function isRunning(start: number | undefined, window: WindowDefinition, at: number): start is number {
  return start !== undefined && at < start + window.durationMs;
}

/** The usage of one window at `now`; a window that ran out counts as empty. */
export function windowUsage(
  subscription: WindowState,
  window: WindowDefinition,
  now: number,
  group?: Pick<Group, WindowDefinition['limitField']>,
): WindowUsage {
  const start = subscription[window.startField];
  const running = isRunning(start, window, now);
  return {
    name: window.name,
    usedNano: running ? (subscription[window.usedField] ?? 0) : 0,
    limitNano: group?.[window.limitField],
    startedAt: running ? start : undefined,
    resetsAt: running ? start + window.durationMs : undefined,
  };
}

/** How the recorder moves one window when it counts a request made at `at`. */
export interface WindowStep {
  window: WindowDefinition;
  /** The start the item holds now (undefined: never started); the write is conditioned on it. */
  expectedStart: number | undefined;
  /** Set when the request starts a new window (first use, or the old one ran out). */
  newStart: number | undefined;
}

/**
 * For each window: keep adding to it while it runs at `at`, otherwise start a new one at `at`.
 * A late request (made before the running window started) is added to the running window: the
 * usage is real and the window it belonged to is gone.
 */
export function planWindowSteps(subscription: WindowState, at: number): WindowStep[] {
  return WINDOWS.map((window) => {
    const start = subscription[window.startField];
    const keeps = start !== undefined && at < start + window.durationMs;
    return { window, expectedStart: start, newStart: keeps ? undefined : at };
  });
}
