/**
 * What a request should cost, worked out in the tests' own way from OpenAI's published prices
 * (USD per 1M tokens, as written on the pricing page) and the token counts, so that billing
 * tests do not take their expected values from the billing code they check.
 *
 * The rule (docs/architecture.md, docs/finance.md): uncached input, cached input and output each
 * at their price; the list cost rounded half up to whole nano-USD; the charge is the exact list
 * cost times the group multiplier, rounded half up once.
 *
 * @example
 * expectedNano({ inputTokens: 1_200, cachedInputTokens: 200, outputTokens: 301 }, ['0.0375', '0.00375', '0.1125'], '1.5');
 * // { costNano: 72_113, chargeNano: 108_169 }
 */

/** USD per 1M tokens: input, cached input, output. */
export type PublishedPrice = readonly [input: string, cachedInput: string, output: string];

/** The published list prices of the models the e2e tests call (standard tier). */
export const PUBLISHED_PRICES: Readonly<Record<string, PublishedPrice>> = {
  'gpt-5-mini': ['0.25', '0.025', '2'],
  'gpt-5.1': ['1.25', '0.125', '10'],
  'gpt-5.1-codex': ['1.25', '0.125', '10'],
  'gpt-5.1-codex-max': ['1.25', '0.125', '10'],
  'gpt-5.1-codex-mini': ['0.25', '0.025', '2'],
  'gpt-5.2': ['1.75', '0.175', '14'],
  'gpt-5.2-codex': ['1.75', '0.175', '14'],
};

/** What a model no price table knows is billed at: the dearest standard rate (gpt-5.5's). */
export const PUBLISHED_DEFAULT_PRICE: PublishedPrice = ['5', '0.5', '30'];

const SCALE_DIGITS = 9;

/** A non-negative decimal string as an integer count of 10⁻⁹ of its unit. */
function scaled(decimal: string): bigint {
  const match = /^(\d+)(?:\.(\d{1,9}))?$/.exec(decimal);
  if (!match) throw new Error(`not a plain decimal: ${decimal}`);
  return (
    BigInt(match[1] ?? '0') * 10n ** BigInt(SCALE_DIGITS) + BigInt((match[2] ?? '').padEnd(SCALE_DIGITS, '0'))
  );
}

function halfUp(numerator: bigint, denominator: bigint): number {
  const whole = numerator / denominator;
  return Number(2n * (numerator % denominator) >= denominator ? whole + 1n : whole);
}

export interface ExpectedTokens {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/**
 * List cost and charge in nano-USD. Cached tokens above the input count are billed as input
 * tokens at most (an upstream never gets paid for more tokens than came in).
 */
export function expectedNano(
  tokens: ExpectedTokens,
  price: PublishedPrice,
  multiplier: string,
): { costNano: number; chargeNano: number } {
  const cached = Math.min(tokens.cachedInputTokens, tokens.inputTokens);
  const [input, cachedInput, output] = price.map(scaled) as [bigint, bigint, bigint];
  // Each price is USD per 1M tokens × 10⁹, and a token at p USD per 1M costs p × 10³ nano-USD:
  // the exact sum below is nano-USD × 10⁶.
  const exact =
    BigInt(tokens.inputTokens - cached) * input +
    BigInt(cached) * cachedInput +
    BigInt(tokens.outputTokens) * output;
  const perNano = 10n ** 6n;
  return {
    costNano: halfUp(exact, perNano),
    chargeNano: halfUp(exact * scaled(multiplier), perNano * 10n ** BigInt(SCALE_DIGITS)),
  };
}
