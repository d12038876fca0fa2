import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeCost, divideRoundHalfUp, multiplierToPpm } from '#shared/billing/cost.ts';
import { BUILTIN_PRICES, type ModelPrice } from '#shared/billing/price-table.ts';

const codex = BUILTIN_PRICES['gpt-5.1-codex'] as ModelPrice;
const usage = (
  inputTokens: number,
  cachedInputTokens: number,
  outputTokens: number,
  reasoningTokens = 0,
) => ({
  inputTokens,
  cachedInputTokens,
  outputTokens,
  reasoningTokens,
});

describe('computeCost', () => {
  it('bills uncached input, cached input and output each at its own price, exactly in pico-USD', () => {
    // Prepare: 10k input of which 2k cached, 1k output, at $1.25 / $0.125 / $10 per 1M tokens
    // Act
    const cost = computeCost(usage(10_000, 2_000, 1_000), codex, multiplierToPpm(1));
    // Assess
    assert.equal(cost.inputCostPico, 8_000 * 1_250_000);
    assert.equal(cost.cachedInputCostPico, 2_000 * 125_000);
    assert.equal(cost.outputCostPico, 1_000 * 10_000_000);
    assert.equal(cost.totalCostPico, 20_250_000_000);
    assert.equal(cost.costNano, 20_250_000);
    assert.equal(cost.chargeNano, 20_250_000);
  });

  it('charges the cost times the group multiplier, while the list cost stays before it', () => {
    const cost = computeCost(usage(10_000, 2_000, 1_000), codex, multiplierToPpm(1.5));
    assert.equal(cost.costNano, 20_250_000);
    assert.equal(cost.chargeNano, 30_375_000);
  });

  it('does not bill reasoning tokens again: they are part of the output count', () => {
    const without = computeCost(usage(100, 0, 50, 0), codex, 1_000_000);
    const withReasoning = computeCost(usage(100, 0, 50, 40), codex, 1_000_000);
    assert.deepEqual(withReasoning, without);
  });

  it('rounds half up once, at the end, to whole nano-USD', () => {
    const price: ModelPrice = { inputPicoPerToken: 500, cachedInputPicoPerToken: 1, outputPicoPerToken: 1 };
    // 3 tokens × 500 pico = 1500 pico = 1.5 nano → 2; ×1.1 = 1650 pico = 1.65 nano → 2
    assert.equal(computeCost(usage(3, 0, 0), price, 1_000_000).costNano, 2);
    assert.equal(computeCost(usage(3, 0, 0), price, 1_100_000).chargeNano, 2);
    // 2999 pico = 2.999 nano → 3; 2499 pico → 2; ×0.8 of 2499 = 1999.2 pico → 2
    assert.equal(computeCost(usage(2_999, 0, 0), { ...price, inputPicoPerToken: 1 }, 1_000_000).costNano, 3);
    assert.equal(computeCost(usage(2_499, 0, 0), { ...price, inputPicoPerToken: 1 }, 1_000_000).costNano, 2);
    assert.equal(computeCost(usage(2_499, 0, 0), { ...price, inputPicoPerToken: 1 }, 800_000).chargeNano, 2);
  });

  it('takes a multiplier of 0 (a free group) and refuses a negative or non-finite one', () => {
    assert.equal(multiplierToPpm(0), 0);
    assert.equal(computeCost(usage(1_000, 0, 1_000), codex, 0).chargeNano, 0);
    assert.throws(
      () => multiplierToPpm(-0.1),
      /rate multiplier must be a finite non-negative number, got -0.1/,
    );
    assert.throws(() => multiplierToPpm(Number.POSITIVE_INFINITY), /got Infinity/);
  });

  it('names the token count it refuses', () => {
    for (const [bad, field] of [
      [usage(-1, 0, 0), 'inputTokens'],
      [usage(1, 0.5, 0), 'cachedInputTokens'],
      [usage(1, 0, Number.NaN), 'outputTokens'],
    ] as const) {
      assert.throws(
        () => computeCost(bad, codex, 1_000_000),
        new RegExp(`^RangeError: ${field} must be a non-negative integer, got`),
      );
    }
    assert.throws(
      () => computeCost(usage(1, 0, 0), codex, 1.5),
      /^RangeError: multiplierPpm must be a non-negative integer, got 1.5/,
    );
  });

  it('rounds the charge once, from the exact list cost, not from the rounded one', () => {
    // 37.5 / 3.75 / 112.5 nano-USD a token ($0.0375 / $0.00375 / $0.1125 per 1M tokens)
    const fine: ModelPrice = {
      inputPicoPerToken: 37_500,
      cachedInputPicoPerToken: 3_750,
      outputPicoPerToken: 112_500,
    };
    const cases = [
      // [input, cached, output], multiplier ppm, costNano, chargeNano, chargeNano if rounded twice
      // 3 × 37.5 = 112.5 → 113; × 1.5 = 168.75 → 169 (113 × 1.5 = 169.5 → 170)
      [[3, 0, 0], 1_500_000, 113, 169, 170],
      // 1_000 × 37.5 + 200 × 3.75 + 301 × 112.5 = 72_112.5 → 72_113; × 1.5 = 108_168.75 → 108_169
      [[1_200, 200, 301], 1_500_000, 72_113, 108_169, 108_170],
      // 1_000 × 37.5 + 71 × 112.5 = 45_487.5 → 45_488; × 1.1 = 50_036.25 → 50_036 (50_036.8 → 50_037)
      [[1_000, 0, 71], 1_100_000, 45_488, 50_036, 50_037],
    ] as const;
    for (const [[input, cached, output], ppm, costNano, chargeNano, roundedTwice] of cases) {
      const cost = computeCost(usage(input, cached, output), fine, ppm);
      assert.deepEqual([cost.costNano, cost.chargeNano], [costNano, chargeNano]);
      assert.notEqual(cost.chargeNano, roundedTwice);
    }
  });

  it('rounds the charge from the exact total, not from the rounded parts', () => {
    // Each part alone is 0.4 nano (rounds to 0); together 1.2 nano → 1.
    const price: ModelPrice = {
      inputPicoPerToken: 400,
      cachedInputPicoPerToken: 400,
      outputPicoPerToken: 400,
    };
    const cost = computeCost(usage(2, 1, 1), price, 1_000_000);
    assert.equal(cost.totalCostPico, 1_200);
    assert.equal(cost.costNano, 1);
  });

  it('never bills more cached tokens than input tokens', () => {
    const cost = computeCost(usage(100, 250, 0), codex, 1_000_000);
    assert.equal(cost.cachedInputTokens, 100);
    assert.equal(cost.uncachedInputTokens, 0);
    assert.equal(cost.totalCostPico, 100 * 125_000);
  });

  it('stays exact where tokens × price × multiplier exceed 2^53', () => {
    const pro = BUILTIN_PRICES['gpt-5.2-pro'] as ModelPrice;
    const cost = computeCost(usage(0, 0, 2_000_000), pro, 3_333_333);
    const expected = (2_000_000n * 168_000_000n * 3_333_333n * 2n + 1_000_000_000n) / 2_000_000_000n;
    assert.equal(BigInt(cost.chargeNano), expected);
    assert.equal(cost.costNano, 336_000_000_000);
  });

  it('refuses negative or fractional token counts', () => {
    assert.throws(() => computeCost(usage(-1, 0, 0), codex, 1_000_000), RangeError);
    assert.throws(() => computeCost(usage(1.5, 0, 0), codex, 1_000_000), RangeError);
  });
});

describe('multiplierToPpm', () => {
  it('reads decimal multipliers without float error', () => {
    assert.equal(multiplierToPpm(1.1), 1_100_000);
    assert.equal(multiplierToPpm(0.3), 300_000);
    assert.equal(multiplierToPpm(2), 2_000_000);
  });

  it('refuses a negative or non-finite multiplier', () => {
    assert.throws(() => multiplierToPpm(-0.5), RangeError);
    assert.throws(() => multiplierToPpm(Number.NaN), RangeError);
  });
});

describe('divideRoundHalfUp', () => {
  it('rounds exact halves up and everything else to the nearest', () => {
    assert.equal(divideRoundHalfUp(15n, 10n), 2n);
    assert.equal(divideRoundHalfUp(14n, 10n), 1n);
    assert.equal(divideRoundHalfUp(25n, 10n), 3n);
    assert.equal(divideRoundHalfUp(0n, 10n), 0n);
  });
});
