/**
 * Per-key request counters, one per key per UTC minute: a request is counted only while the
 * count is below the key's limit, so concurrent gateways never admit more than the limit in a
 * minute, and a refused request leaves the count as it was. The DynamoDB implementation is
 * `shared/store/dynamo/request-rate-store.ts`.
 *
 * @example
 * ```ts
 * await rates.take('key_1', 3, Date.now()); // true while fewer than 3 were taken this minute
 * ```
 */

/** Counts requests per key per UTC minute, refusing the one past the limit. */
export interface RequestRates {
  /** Counts one request of `keyId` in the minute of `nowMs`; false (nothing counted) at `limit`. */
  take(keyId: string, limit: number, nowMs: number): Promise<boolean>;
}

/** The counting window: requests are counted per UTC minute (epoch ms / this). */
export const MINUTE_MS = 60_000;
