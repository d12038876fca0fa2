/**
 * Prices as people write them ("1.25" USD per million tokens) to and from the integer unit the
 * code keeps them in (pico-USD per token, the same number as micro-USD per million tokens).
 * Parsing goes through the decimal digits, never a float, so "0.175" is exactly 175_000.
 *
 * @example
 * ```ts
 * parseUsdPerMillion('1.25'); // 1_250_000
 * formatUsdPerMillion(175_000); // '0.175'
 * ```
 */
import type { ModelPrice } from './price-table.ts';

const DECIMAL = /^(\d+)(?:\.(\d+))?$|^\.(\d+)$/;
const MICRO_DIGITS = 6;

/** A price in USD per 1M tokens as pico-USD per token; throws a RangeError on bad input. */
export function parseUsdPerMillion(text: string, field = 'price'): number {
  const match = DECIMAL.exec(text.trim());
  if (!match) throw new RangeError(`${field} must be a USD amount per 1M tokens such as 1.25, got "${text}"`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? match[3] ?? '';
  if (fraction.length > MICRO_DIGITS) {
    throw new RangeError(
      `${field} has more than ${MICRO_DIGITS} decimals (the unit is 0.000001 USD per 1M tokens)`,
    );
  }
  const value = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(MICRO_DIGITS, '0') || '0');
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${field} is too large, got "${text}"`);
  return Number(value);
}

/** Pico-USD per token as USD per 1M tokens, without trailing zeros ("1.25", "0.175", "10"). */
export function formatUsdPerMillion(picoPerToken: number): string {
  const whole = Math.trunc(picoPerToken / 1_000_000);
  const fraction = String(picoPerToken % 1_000_000)
    .padStart(MICRO_DIGITS, '0')
    .replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** Throws a RangeError unless every part of the price is a non-negative safe integer. */
export function assertValidPrice(price: ModelPrice): void {
  for (const [field, value] of Object.entries(price)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(
        `${field} must be a non-negative integer count of pico-USD per token, got ${value}`,
      );
    }
  }
}
