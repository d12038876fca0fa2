/**
 * What an upstream error does to the request and to the account that answered it.
 *
 * Failover depends on the status and the error's meaning ({@link meaningOf}): 401, 402, 403, 429,
 * 529 and 5xx try the next account, except a refusal the request itself caused (`request`), which
 * goes back to the client. Marking depends on the meaning alone, and never lasts forever:
 * - `account` (revoked key, deactivated account, `insufficient_quota`, 401, 402): `error` state
 *   until `accountErrorRecheckSeconds` from now; the first real request after that re-checks it;
 * - `rate_limit`: `rate_limited` until the reset the upstream names (body, headers, "try again
 *   in 20s"), else `rateLimitCooldownSeconds`;
 * - `overloaded` (529): `overloaded` for `overloadCooldownSeconds`;
 * - `transient` (other 5xx) and `request`: nothing;
 * - `ambiguous` (an unexplained 403): the `error` state is only *deferred*: the failover loop
 *   writes it once another account served the same request (so the refusal was this account's),
 *   and forgets it when a second account gives the same refusal (so it was the request's).
 *
 * An account with custom error codes is marked only for the statuses it lists (and then always,
 * at once); the list never changes what fails over.
 *
 * @example
 * ```ts
 * const info = parseUpstreamError(429, body);
 * const verdict = judgeUpstreamFailure(account, info, headers, settings, Date.now());
 * if (verdict.health) await accountHealth.setHealth(account.id, verdict.health);
 * ```
 */
import type { Account, AccountHealth } from '../domain/types.ts';
import { redactAndCap } from '../ops/redact.ts';
import {
  type ErrorMeaning,
  meaningOf,
  refusalFingerprint,
  type UpstreamErrorInfo,
} from './upstream-error-meaning.ts';

/** Longest upstream message kept in an account's health reason. */
const REASON_MAX_LENGTH = 300;

export interface FailureVerdict {
  meaning: ErrorMeaning;
  /** Try another account. */
  failover: boolean;
  /** Health to write for the account now. */
  health?: AccountHealth;
  /** Health to write only once another account served the same request (ambiguous refusals). */
  deferredHealth?: AccountHealth;
  /** Recognises the same refusal from another account. */
  fingerprint: string;
}

export interface CooldownSettings {
  rateLimitCooldownSeconds: number;
  overloadCooldownSeconds: number;
  /** How long an account-level error keeps the account out before a request re-checks it. */
  accountErrorRecheckSeconds: number;
}

/** Parses `1s`, `6m0s`, `20ms`, `1h2m3.5s` (OpenAI's x-ratelimit-reset format) into seconds. */
export function parseDurationSeconds(value: string): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) return undefined;
  const unit = { h: 3600, m: 60, s: 1, ms: 0.001 } as const;
  return parts.reduce((sum, part) => sum + Number(part[1]) * unit[part[2] as keyof typeof unit], 0);
}

function numeric(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/**
 * Codex plan windows that are spent: a 429 with the 5-hour window at 100 % must not cool the
 * account down until the 7-day window resets. Without any used-percent, every window counts.
 * Here and below, 0 stands for "no reset named": only positive candidates count.
 */
function codexResets(headers: Record<string, string>): number[] {
  const windows = ['primary', 'secondary'].map((name) => ({
    used: numeric(headers[`x-codex-${name}-used-percent`]),
    reset: numeric(headers[`x-codex-${name}-reset-after-seconds`]),
  }));
  const anyPercent = windows.some((window) => window.used !== undefined);
  return windows
    .filter((window) => !anyPercent || (window.used ?? 0) >= 100)
    .map((window) => window.reset ?? 0);
}

/** `x-ratelimit-reset-requests|tokens`, counting only buckets not known to have room left. */
function ratelimitResets(headers: Record<string, string>): number[] {
  return Object.entries(headers).map(([name, value]) => {
    const bucket = /^x-ratelimit-reset-(.+)/.exec(name)?.[1];
    if (!bucket) return 0;
    const remaining = numeric(headers[`x-ratelimit-remaining-${bucket}`]);
    if ((remaining ?? 0) > 0) return 0;
    return parseDurationSeconds(value) ?? 0;
  });
}

/** Seconds until the upstream says the limit resets, from whichever header names it. */
export function resetAfterSeconds(headers: Record<string, string>, now: number): number | undefined {
  const candidates = [...codexResets(headers), ...ratelimitResets(headers)];
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) {
    const seconds = parseDurationSeconds(retryAfter);
    // Not a number of seconds: an HTTP date, or NaN, which the filter below drops.
    if (seconds !== undefined) candidates.push(seconds);
    else candidates.push(Math.max(0, (Date.parse(retryAfter) - now) / 1000));
  }
  const positive = candidates.filter((seconds) => seconds > 0);
  return positive.length > 0 ? Math.max(...positive) : undefined;
}

/** "Please try again in 20s" / "in 1.5s" / "in 6m0s" / "in 120ms", as OpenAI words its 429s. */
export function messageRetrySeconds(message: string): number | undefined {
  const match = /try again in ((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)/i.exec(message);
  const seconds = match?.[1] ? parseDurationSeconds(match[1]) : undefined;
  return (seconds ?? 0) > 0 ? seconds : undefined;
}

/** Where the upstream names it: the body's reset, the headers, the message; else the default. */
export function rateLimitSeconds(
  info: UpstreamErrorInfo,
  headers: Record<string, string>,
  settings: CooldownSettings,
  now: number,
): number {
  return (
    info.resetsInSeconds ??
    resetAfterSeconds(headers, now) ??
    messageRetrySeconds(info.message) ??
    settings.rateLimitCooldownSeconds
  );
}

export function judgeUpstreamFailure(
  account: Account,
  info: UpstreamErrorInfo,
  headers: Record<string, string>,
  settings: CooldownSettings,
  now: number,
): FailureVerdict {
  const meaning = meaningOf(info);
  const fingerprint = refusalFingerprint(info);
  const updatedAt = new Date(now).toISOString();
  const reason = `upstream ${info.status}: ${redactAndCap(info.message, REASON_MAX_LENGTH)}`;
  const until = (seconds: number) => now + Math.round(seconds * 1000);
  const error: AccountHealth = {
    state: 'error',
    reason,
    until: until(settings.accountErrorRecheckSeconds),
    updatedAt,
  };
  let health: AccountHealth | undefined;
  if (meaning === 'account') health = error;
  else if (meaning === 'rate_limit') {
    const seconds = rateLimitSeconds(info, headers, settings, now);
    health = { state: 'rate_limited', reason, until: until(seconds), updatedAt };
  } else if (meaning === 'overloaded') {
    health = { state: 'overloaded', reason, until: until(settings.overloadCooldownSeconds), updatedAt };
  }
  const failover = meaning !== 'request';
  const custom = account.customErrorCodes ?? [];
  if (custom.length > 0) {
    // The admin named what marks this account: listed statuses mark it at once, nothing else does.
    if (!custom.includes(info.status)) return { meaning, failover, fingerprint };
    return { meaning, failover: true, health: health ?? error, fingerprint };
  }
  if (meaning === 'ambiguous') return { meaning, failover, deferredHealth: error, fingerprint };
  return { meaning, failover, ...(health ? { health } : {}), fingerprint };
}
