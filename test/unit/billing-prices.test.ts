import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { candidateModelNames } from '#shared/billing/price-book.ts';
import { BUILTIN_DEFAULT_PRICE, BUILTIN_PRICES, PRICE_TABLE_DATE } from '#shared/billing/price-table.ts';
import { assertValidPrice, formatUsdPerMillion, parseUsdPerMillion } from '#shared/billing/price-units.ts';

describe('the built-in price table', () => {
  it('prices the gpt-5.x family and its codex variants', () => {
    for (const model of [
      'gpt-5',
      'gpt-5-mini',
      'gpt-5-nano',
      'gpt-5-codex',
      'gpt-5.1',
      'gpt-5.1-codex',
      'gpt-5.1-codex-mini',
      'gpt-5.1-codex-max',
      'gpt-5.2',
      'gpt-5.2-codex',
    ]) {
      assert.ok(BUILTIN_PRICES[model], `${model} has a price`);
    }
    assert.match(PRICE_TABLE_DATE, /^\d{4}-\d{2}-\d{2}$/);
  });

  it('holds every price as a non-negative integer with cached input no dearer than input', () => {
    for (const [model, price] of Object.entries({ ...BUILTIN_PRICES, '*': BUILTIN_DEFAULT_PRICE })) {
      assert.doesNotThrow(() => assertValidPrice(price), model);
      assert.ok(price.cachedInputPicoPerToken <= price.inputPicoPerToken, model);
    }
  });

  it('keeps the published per-1M prices exactly', () => {
    assert.deepEqual(BUILTIN_PRICES['gpt-5.2-codex'], {
      inputPicoPerToken: parseUsdPerMillion('1.75'),
      cachedInputPicoPerToken: parseUsdPerMillion('0.175'),
      outputPicoPerToken: parseUsdPerMillion('14'),
    });
    assert.equal(BUILTIN_PRICES['gpt-5-nano']?.cachedInputPicoPerToken, 5_000);
  });
});

describe('USD per 1M tokens', () => {
  it('parses decimal text exactly into pico-USD per token', () => {
    assert.equal(parseUsdPerMillion('1.25'), 1_250_000);
    assert.equal(parseUsdPerMillion('0.175'), 175_000);
    assert.equal(parseUsdPerMillion('.005'), 5_000);
    assert.equal(parseUsdPerMillion('168'), 168_000_000);
  });

  it('refuses text that is not a plain non-negative amount or finer than 0.000001', () => {
    for (const text of ['-1', '1e3', 'abc', '', '0.0000001']) {
      assert.throws(() => parseUsdPerMillion(text), RangeError, text);
    }
  });

  it('formats back without trailing zeros', () => {
    assert.equal(formatUsdPerMillion(1_250_000), '1.25');
    assert.equal(formatUsdPerMillion(175_000), '0.175');
    assert.equal(formatUsdPerMillion(10_000_000), '10');
  });
});

describe('candidateModelNames', () => {
  it('tries the exact name first, then without a snapshot date, then without an effort suffix', () => {
    assert.deepEqual(candidateModelNames('GPT-5.1-Codex-High'), ['gpt-5.1-codex-high', 'gpt-5.1-codex']);
    assert.deepEqual(candidateModelNames('gpt-5-2025-08-07'), ['gpt-5-2025-08-07', 'gpt-5']);
    assert.deepEqual(candidateModelNames('openai/gpt-5.2'), ['gpt-5.2']);
  });
});
