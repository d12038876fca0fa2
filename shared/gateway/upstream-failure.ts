/**
 * Step 10: what an upstream error says about the account. 401/403 put it in error state until an
 * admin clears it; 429 cools it down until the reset the response names (Codex's
 * `x-codex-*-reset-after-seconds`, `retry-after`, `x-ratelimit-reset-*`) or a default; 529 cools
 * it down for the overload period; other 5xx only exclude it from this request. An account with
 * custom error codes handles only those codes.
 */
import type { Account, AccountHealth } from '../domain/types.ts';
import { redactAndCap } from '../ops/redact.ts';

/** Longest upstream message kept in an account's health reason. */
const REASON_MAX_LENGTH = 300;

export interface FailureVerdict {
  /** Try another account. */
  failover: boolean;
  /** New health to write for the account, if any. */
  health?: AccountHealth;
}

export interface CooldownSettings {
  rateLimitCooldownSeconds: number;
  overloadCooldownSeconds: number;
}

const DEFAULT_FAILOVER = (status: number) =>
  status === 401 || status === 403 || status === 429 || status >= 500;

/** Parses `1s`, `6m0s`, `20ms`, `1h2m3.5s` (OpenAI's x-ratelimit-reset format) into seconds. */
export function parseDurationSeconds(value: string): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) return undefined;
  const unit = { h: 3600, m: 60, s: 1, ms: 0.001 } as const;
  return parts.reduce((sum, part) => sum + Number(part[1]) * unit[part[2] as keyof typeof unit], 0);
}

/** Seconds until the upstream says the limit resets, from whichever header names it. */
export function resetAfterSeconds(headers: Record<string, string>, now: number): number | undefined {
  const candidates: number[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (/^x-codex-.*reset-after-seconds$/.test(name) || /^x-ratelimit-reset/.test(name)) {
      const seconds = parseDurationSeconds(value);
      if (seconds !== undefined) candidates.push(seconds);
    }
  }
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined) {
    const seconds = parseDurationSeconds(retryAfter);
    if (seconds !== undefined) candidates.push(seconds);
    else {
      const date = Date.parse(retryAfter);
      if (!Number.isNaN(date)) candidates.push(Math.max(0, (date - now) / 1000));
    }
  }
  const positive = candidates.filter((seconds) => seconds > 0);
  return positive.length > 0 ? Math.max(...positive) : undefined;
}

export function judgeUpstreamFailure(
  account: Account,
  status: number,
  headers: Record<string, string>,
  message: string,
  settings: CooldownSettings,
  now: number,
): FailureVerdict {
  const custom = account.customErrorCodes ?? [];
  const handled = custom.length > 0 ? custom.includes(status) : DEFAULT_FAILOVER(status);
  if (!handled) return { failover: false };
  const updatedAt = new Date(now).toISOString();
  const reason = `upstream ${status}: ${redactAndCap(message, REASON_MAX_LENGTH)}`;
  if (status === 401 || status === 403)
    return { failover: true, health: { state: 'error', reason, updatedAt } };
  if (status === 429) {
    const seconds = resetAfterSeconds(headers, now) ?? settings.rateLimitCooldownSeconds;
    return {
      failover: true,
      health: { state: 'rate_limited', reason, until: now + seconds * 1000, updatedAt },
    };
  }
  if (status === 529) {
    const until = now + settings.overloadCooldownSeconds * 1000;
    return { failover: true, health: { state: 'overloaded', reason, until, updatedAt } };
  }
  return { failover: true };
}
