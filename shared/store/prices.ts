/**
 * Admin-set prices that override the built-in price table, one per model (`*` for the default
 * price of unknown models). Prices are pico-USD per token (= micro-USD per 1M tokens), the unit
 * of `shared/billing/price-table.ts`. The recorder reads them all at once through
 * {@link PriceOverrideReader}; the admin API and the CLI write them. The DynamoDB implementation
 * is `shared/store/dynamo/billing-prices.ts`.
 *
 * @example
 * ```ts
 * const saved = await prices.setPriceIfVersion('gpt-5.1-codex', price, 'absent'); // undefined: taken
 * ```
 */
import type { ModelPrice } from '../billing/price-table.ts';

/** Reads every admin-set price at once; `*` is the default price. */
export interface PriceOverrideReader {
  listOverrides(): Promise<ReadonlyMap<string, ModelPrice>>;
}

/** One admin-set price, as stored. */
export interface PriceOverride extends ModelPrice {
  /** Lower-case model id, or `*` for the default price. */
  model: string;
  updatedAt: string;
  /** Bumped by every admin write through {@link AdminPriceStore.setPriceIfVersion}. */
  version?: number;
}

/** What an admin write expects of the override: absent, present, or present at a version. */
export type PriceExpectation = 'absent' | 'present' | number;

/** The admin API's reads and versioned writes of the overrides. */
export interface AdminPriceStore {
  list(): Promise<PriceOverride[]>;
  setPriceIfVersion(
    model: string,
    price: ModelPrice,
    expect: PriceExpectation,
  ): Promise<PriceOverride | undefined>;
  removePriceIfVersion(model: string, expect: Exclude<PriceExpectation, 'absent'>): Promise<boolean>;
}
