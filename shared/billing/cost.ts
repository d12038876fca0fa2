/**
 * What a request costs, in integers only. The parts are exact products of tokens and per-token
 * prices in pico-USD; the two money figures are rounded to nano-USD once each, half up, at the
 * very end:
 *
 * - `costNano` — list cost: (input − cached) × input price + cached × cached price + output ×
 *   output price. Counts toward subscription limits (the "total cost").
 * - `chargeNano` — list cost × the group's rate multiplier: what a balance pays (the
 *   "actual cost"). The multiplier is held as parts per million, so 1.1 is 1_100_000 exactly.
 *
 * BigInt is used inside because tokens × pico × ppm exceeds 2^53 for large requests; the results
 * fit comfortably in a JS number (a request would need to cost $9M to overflow).
 *
 * @example
 * ```ts
 * const cost = computeCost(usage, BUILTIN_PRICES['gpt-5.1-codex']!, multiplierToPpm(1.5));
 * cost.chargeNano; // 30_375_000 for 10k input (2k of them cached) + 1k output at 1.5×
 * ```
 */
import type { TokenUsage } from '../events/usage-event.ts';
import type { ModelPrice } from './price-table.ts';

export const PICO_PER_NANO = 1000n;
export const PPM = 1_000_000n;

export interface CostBreakdown {
  /** Input tokens billed at the input price: input minus the cached part. */
  uncachedInputTokens: number;
  /** Cached input tokens billed at the cached price (never more than the input tokens). */
  cachedInputTokens: number;
  inputCostPico: number;
  cachedInputCostPico: number;
  outputCostPico: number;
  /** Sum of the three parts, exact. */
  totalCostPico: number;
  /** List cost rounded half up to nano-USD. */
  costNano: number;
  multiplierPpm: number;
  /** List cost × multiplier, rounded half up to nano-USD once. */
  chargeNano: number;
}

/** `numerator / denominator` rounded half up; both non-negative. */
export function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/**
 * A rate multiplier (1, 1.5, 0.8) as parts per million. Read through its decimal text so that
 * 1.1 is 1_100_000 and not 1_100_000.0000000002; more than six decimals round half up.
 */
export function multiplierToPpm(multiplier: number): number {
  if (!Number.isFinite(multiplier) || multiplier < 0) {
    throw new RangeError(`rate multiplier must be a finite non-negative number, got ${multiplier}`);
  }
  return Math.round(multiplier * 1_000_000);
}

function tokenCount(value: number, field: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${field} must be a non-negative integer, got ${value}`);
  }
  return BigInt(value);
}

export function computeCost(usage: TokenUsage, price: ModelPrice, multiplierPpm: number): CostBreakdown {
  const input = tokenCount(usage.inputTokens, 'inputTokens');
  const reportedCached = tokenCount(usage.cachedInputTokens, 'cachedInputTokens');
  const output = tokenCount(usage.outputTokens, 'outputTokens');
  const ppm = tokenCount(multiplierPpm, 'multiplierPpm');
  // A cached count above the input count is an upstream oddity; never bill more tokens than came in.
  // Stryker disable next-line EqualityOperator: `>=` is the same, both sides are equal then.
  // biome-ignore lint/complexity/useMathMinMax: Math.min does not accept bigint
  const cached = reportedCached > input ? input : reportedCached;
  const uncached = input - cached;

  const inputCost = uncached * BigInt(price.inputPicoPerToken);
  const cachedCost = cached * BigInt(price.cachedInputPicoPerToken);
  const outputCost = output * BigInt(price.outputPicoPerToken);
  const total = inputCost + cachedCost + outputCost;

  return {
    uncachedInputTokens: Number(uncached),
    cachedInputTokens: Number(cached),
    inputCostPico: Number(inputCost),
    cachedInputCostPico: Number(cachedCost),
    outputCostPico: Number(outputCost),
    totalCostPico: Number(total),
    costNano: Number(divideRoundHalfUp(total, PICO_PER_NANO)),
    multiplierPpm,
    chargeNano: Number(divideRoundHalfUp(total * ppm, PICO_PER_NANO * PPM)),
  };
}
