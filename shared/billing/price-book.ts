/**
 * Which price a request pays. The model the client asked for is priced first (what the
 * client chose is what it pays for), then the model sent upstream, each by its exact name and then without a
 * snapshot date (`-2025-08-07`) or a reasoning-effort suffix (`-high`) that some clients append;
 * admin overrides from the Config table win over the built-in table at each step. A model found
 * nowhere pays the default price (an admin-set `PRICE#*`, else the built-in default) and its
 * record says `priceSource: 'default'`.
 *
 * Overrides are read with one query and kept in memory for `cacheMs` (60 s by default), so an
 * admin's change reaches every recorder within a minute and the recorder does not read the
 * Config table once per event.
 *
 * @example
 * ```ts
 * const book = new PriceBook(new DynamoPriceOverrides(documentClient(), tables.config));
 * const { price, source, model } = await book.resolve('gpt-5.1-codex-high', 'gpt-5.1-codex');
 * ```
 */
import type { PriceOverrideReader } from '../store/prices.ts';
import { BUILTIN_DEFAULT_PRICE, BUILTIN_PRICES, type ModelPrice } from './price-table.ts';

/** The name under which an admin-set default price is kept among the overrides. */
export const DEFAULT_PRICE_MODEL = '*';

export type PriceSource = 'override' | 'builtin' | 'default';

export interface ResolvedPrice {
  /** The name the price was found under (`*` for the default). */
  model: string;
  price: ModelPrice;
  source: PriceSource;
}

const SNAPSHOT_DATE = /-\d{4}-\d{2}-\d{2}$/;
const EFFORT_SUFFIX = /-(none|minimal|low|medium|high|xhigh)$/;

/** The names a model is looked up under, most specific first. */
export function candidateModelNames(model: string): string[] {
  const exact = model
    .trim()
    .toLowerCase()
    .replace(/^openai\//, '');
  const names = [exact];
  const undated = exact.replace(SNAPSHOT_DATE, '');
  const withoutEffort = undated.replace(EFFORT_SUFFIX, '');
  for (const name of [undated, withoutEffort]) if (!names.includes(name)) names.push(name);
  return names;
}

export class PriceBook {
  readonly #overrides: PriceOverrideReader;
  readonly #cacheMs: number;
  readonly #now: () => number;
  #cached: { at: number; overrides: Promise<ReadonlyMap<string, ModelPrice>> } | undefined;

  constructor(overrides: PriceOverrideReader, options: { cacheMs?: number; now?: () => number } = {}) {
    this.#overrides = overrides;
    this.#cacheMs = options.cacheMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  async resolve(modelRequested: string, modelSent: string): Promise<ResolvedPrice> {
    const overrides = await this.#currentOverrides();
    for (const model of [modelRequested, modelSent]) {
      for (const name of candidateModelNames(model)) {
        const override = overrides.get(name);
        if (override) return { model: name, price: override, source: 'override' };
        const builtin = BUILTIN_PRICES[name];
        if (builtin) return { model: name, price: builtin, source: 'builtin' };
      }
    }
    const price = overrides.get(DEFAULT_PRICE_MODEL) ?? BUILTIN_DEFAULT_PRICE;
    return { model: DEFAULT_PRICE_MODEL, price, source: 'default' };
  }

  #currentOverrides(): Promise<ReadonlyMap<string, ModelPrice>> {
    const now = this.#now();
    if (!this.#cached || now - this.#cached.at >= this.#cacheMs) {
      const overrides = this.#overrides.listOverrides();
      this.#cached = { at: now, overrides };
      // A failed read must not stick in the cache: the next event asks again.
      overrides.catch(() => {
        if (this.#cached?.overrides === overrides) this.#cached = undefined;
      });
    }
    return this.#cached.overrides;
  }
}
