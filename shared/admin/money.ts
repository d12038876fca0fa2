/**
 * USD amounts as admins type them ("10", "0.1", "2.5") to and from integer nano-USD, exactly.
 * The text is split into whole and fractional digits and combined as integers, so "0.1" is
 * 100_000_000 nano and never 99_999_999 through a float.
 *
 * @example
 * ```ts
 * parseUsdToNano('10'); // 10_000_000_000
 * formatNanoAsUsd(100_000_000); // '0.10'
 * ```
 */
import { AdminError } from './admin-error.ts';

export const NANO_PER_USD = 1_000_000_000n;

/**
 * The largest amount any stored money value may reach, either sign: beyond 2^53 − 1 a DynamoDB
 * number no longer reads back exactly as a JavaScript number (about 9 million USD).
 */
export const MAX_MONEY_NANO = Number.MAX_SAFE_INTEGER;

const USD_PATTERN = /^(-)?(\d+)(?:\.(\d*))?$|^(-)?\.(\d+)$/;

export interface UsdParseOptions {
  /** Allows a leading minus, for adjustments such as a balance correction. */
  allowNegative?: boolean;
}

/**
 * Parses a decimal USD amount into nano-USD. Accepts a string or a number (a number is read
 * through its shortest decimal text, so `0.1` is exact too). At most nine decimals, since a
 * nano-USD is the smallest unit; the result must stay within Number.MAX_SAFE_INTEGER.
 */
export function parseUsdToNano(value: string | number, field: string, options: UsdParseOptions = {}): number {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const match = USD_PATTERN.exec(text);
  if (!match) {
    throw AdminError.invalid(`${field} must be a USD amount such as 10 or 0.25, got "${text}".`);
  }
  const negative = (match[1] ?? match[4]) === '-';
  // Stryker disable next-line StringLiteral: BigInt('') is 0n too; '0' only says what an absent whole part means.
  const whole = match[2] ?? '0';
  const fraction = match[3] ?? match[5] ?? '';
  if (fraction.length > 9) {
    throw AdminError.invalid(`${field} has more than 9 decimals (the smallest unit is 0.000000001 USD).`);
  }
  const magnitude = BigInt(whole) * NANO_PER_USD + BigInt(fraction.padEnd(9, '0'));
  if (magnitude > BigInt(MAX_MONEY_NANO)) {
    throw AdminError.invalid(`${field} is too large, got "${text}".`);
  }
  if (negative && magnitude > 0n && !options.allowNegative) {
    throw AdminError.invalid(`${field} must not be negative, got "${text}".`);
  }
  return negative && magnitude > 0n ? -Number(magnitude) : Number(magnitude);
}

/**
 * Nano-USD as a decimal USD string: at least two decimals, no trailing zeros beyond them. A
 * stored value that is not a whole number (written by hand) is shown rounded, never refused, so
 * one bad item cannot break a listing.
 */
export function formatNanoAsUsd(nano: number): string {
  if (!Number.isFinite(nano)) return String(nano);
  const value = BigInt(Math.round(nano));
  const sign = value < 0n ? '-' : '';
  // Stryker disable next-line EqualityOperator: `<=` is the same, -0n is 0n.
  const magnitude = value < 0n ? -value : value;
  const whole = magnitude / NANO_PER_USD;
  const fraction = (magnitude % NANO_PER_USD).toString().padStart(9, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${sign}${whole}.${fraction}`;
}

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * An idempotency key as a client sends it (`--idempotency-key`, the `Idempotency-Key` header):
 * 1 to 255 visible ASCII characters, such as a UUID or `topup-2026-12-03-ada`.
 */
export function parseIdempotencyKey(value: string): string {
  if (!IDEMPOTENCY_KEY_PATTERN.test(value)) {
    throw AdminError.invalid(
      'The idempotency key must be 1 to 255 visible ASCII characters (no spaces), such as a UUID.',
    );
  }
  return value;
}
