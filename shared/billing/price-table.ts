/**
 * The prices quotagate charges, shipped with the code: the models people route through Codex and
 * the Responses API. An admin overrides any model (or the default) through the CLI, which writes
 * `PRICE#<model>` items to the Config table; those win over this table (see `price-book.ts`).
 *
 * Unit: **pico-USD per token** (1e-12 USD), which is the same number as micro-USD per million
 * tokens. OpenAI publishes prices per million tokens with at most three decimals of a dollar
 * ($0.005, $0.175), so every published price is an integer here, and tokens × price is an exact
 * integer: no rounding happens until the one rounding to nano-USD in `cost.ts`.
 *
 * @example
 * ```ts
 * BUILTIN_PRICES['gpt-5.1-codex']?.inputPicoPerToken; // 1_250_000, i.e. $1.25 per 1M tokens
 * ```
 */

/** What one model costs per token, in pico-USD (= micro-USD per 1M tokens). */
export interface ModelPrice {
  inputPicoPerToken: number;
  /** Input tokens served from the prompt cache. */
  cachedInputPicoPerToken: number;
  /** Output tokens, reasoning tokens included (they are part of the output count). */
  outputPicoPerToken: number;
}

/** The day these list prices were taken from OpenAI's published pricing (standard tier). */
export const PRICE_TABLE_DATE = '2026-11-27';

/** `usd` dollars per million tokens, as pico-USD per token. Only for literals in this file. */
function perMillion(input: number, cachedInput: number, output: number): ModelPrice {
  const micro = (usd: number) => Math.round(usd * 1_000_000);
  return {
    inputPicoPerToken: micro(input),
    cachedInputPicoPerToken: micro(cachedInput),
    outputPicoPerToken: micro(output),
  };
}

/**
 * List prices by model id. Pro models have no cached-input discount, so their cached price is
 * the input price.
 */
export const BUILTIN_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-5': perMillion(1.25, 0.125, 10),
  'gpt-5-mini': perMillion(0.25, 0.025, 2),
  'gpt-5-nano': perMillion(0.05, 0.005, 0.4),
  'gpt-5-pro': perMillion(15, 15, 120),
  'gpt-5-codex': perMillion(1.25, 0.125, 10),
  'gpt-5.1': perMillion(1.25, 0.125, 10),
  'gpt-5.1-codex': perMillion(1.25, 0.125, 10),
  'gpt-5.1-codex-mini': perMillion(0.25, 0.025, 2),
  'gpt-5.1-codex-max': perMillion(1.25, 0.125, 10),
  'gpt-5.2': perMillion(1.75, 0.175, 14),
  'gpt-5.2-codex': perMillion(1.75, 0.175, 14),
  'gpt-5.2-pro': perMillion(21, 21, 168),
  'gpt-5.3-codex': perMillion(1.75, 0.175, 14),
  'gpt-5.4': perMillion(2.5, 0.25, 15),
  'gpt-5.4-mini': perMillion(0.75, 0.075, 4.5),
  'gpt-5.5': perMillion(5, 0.5, 30),
  'codex-mini-latest': perMillion(1.5, 0.375, 6),
};

/**
 * What a model missing from the table (and from the overrides) costs until an admin sets a
 * default: the dearest standard (non-pro) rate in the table, so an unknown model is never
 * undercharged. Its records say `priceSource: 'default'`.
 */
export const BUILTIN_DEFAULT_PRICE: ModelPrice = perMillion(5, 0.5, 30);
