/**
 * The ChatGPT Codex backend reports how much of the account's usage limits is spent in
 * `x-codex-*` response headers, as a "primary" and a "secondary" window. Which one is the 5-hour
 * and which the 7-day window is not fixed, so they are normalised by their
 * `window-minutes`; this is the same rule:
 *
 * - both windows known: the shorter is 5 h, the longer 7 d;
 * - only one known: ≤ 360 minutes is the 5 h window, longer is 7 d, and the other is the rest;
 * - neither known: the legacy assumption, primary = 7 d and secondary = 5 h.
 *
 * @example
 * ```ts
 * codexUsageSnapshot({ 'x-codex-primary-used-percent': '12', 'x-codex-primary-window-minutes': '300' }, now);
 * // { fiveHour: { usedPercent: 12, windowMinutes: 300 }, updatedAt: now }
 * ```
 */
import type { CodexUsageSnapshot, CodexUsageWindow } from '../domain/types.ts';

const FIVE_HOUR_THRESHOLD_MINUTES = 360;

interface RawWindow {
  usedPercent?: number;
  resetAfterSeconds?: number;
  windowMinutes?: number;
}

function numberHeader(headers: Readonly<Record<string, string>>, name: string): number | undefined {
  const raw = headers[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

function rawWindow(headers: Readonly<Record<string, string>>, prefix: string): RawWindow {
  const window: RawWindow = {};
  const usedPercent = numberHeader(headers, `${prefix}-used-percent`);
  const resetAfterSeconds = numberHeader(headers, `${prefix}-reset-after-seconds`);
  const windowMinutes = numberHeader(headers, `${prefix}-window-minutes`);
  if (usedPercent !== undefined) window.usedPercent = usedPercent;
  if (resetAfterSeconds !== undefined) window.resetAfterSeconds = Math.trunc(resetAfterSeconds);
  if (windowMinutes !== undefined) window.windowMinutes = Math.trunc(windowMinutes);
  return window;
}

function isEmpty(window: RawWindow): boolean {
  return Object.keys(window).length === 0;
}

function withResetTime(window: RawWindow, observedAt: number): CodexUsageWindow {
  return window.resetAfterSeconds === undefined
    ? { ...window }
    : { ...window, resetsAt: observedAt + window.resetAfterSeconds * 1000 };
}

/** Whether the primary window is the 5-hour one, by that rule. */
function primaryIsFiveHour(primary: RawWindow, secondary: RawWindow): boolean {
  const p = primary.windowMinutes;
  const s = secondary.windowMinutes;
  if (p !== undefined && s !== undefined) return p < s;
  if (p !== undefined) return p <= FIVE_HOUR_THRESHOLD_MINUTES;
  if (s !== undefined) return s > FIVE_HOUR_THRESHOLD_MINUTES;
  return false;
}

/**
 * The snapshot the headers describe, or undefined when they carry none of the usage headers.
 * Header names may be in any case; `observedAt` is epoch ms (the response time).
 */
export function codexUsageSnapshot(
  headers: Readonly<Record<string, string>> | undefined,
  observedAt: number,
): CodexUsageSnapshot | undefined {
  if (!headers) return undefined;
  const lower = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const primary = rawWindow(lower, 'x-codex-primary');
  const secondary = rawWindow(lower, 'x-codex-secondary');
  const overSecondary = numberHeader(lower, 'x-codex-primary-over-secondary-limit-percent');
  if (isEmpty(primary) && isEmpty(secondary) && overSecondary === undefined) return undefined;

  const [fiveHour, sevenDay] = primaryIsFiveHour(primary, secondary)
    ? [primary, secondary]
    : [secondary, primary];
  const snapshot: CodexUsageSnapshot = { updatedAt: observedAt };
  if (!isEmpty(fiveHour)) snapshot.fiveHour = withResetTime(fiveHour, observedAt);
  if (!isEmpty(sevenDay)) snapshot.sevenDay = withResetTime(sevenDay, observedAt);
  if (overSecondary !== undefined) snapshot.primaryOverSecondaryPercent = overSecondary;
  return snapshot;
}
