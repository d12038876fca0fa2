import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { candidateModelNames, DEFAULT_PRICE_MODEL, PriceBook } from '#shared/billing/price-book.ts';
import { BUILTIN_DEFAULT_PRICE, BUILTIN_PRICES, type ModelPrice } from '#shared/billing/price-table.ts';

const CHEAP: ModelPrice = { inputPicoPerToken: 1, cachedInputPicoPerToken: 1, outputPicoPerToken: 2 };
const HOUSE: ModelPrice = { inputPicoPerToken: 7, cachedInputPicoPerToken: 7, outputPicoPerToken: 7 };

/** Admin prices held in memory (the Config table's reader, without DynamoDB), counting its reads. */
function overrides(...sequence: (Record<string, ModelPrice> | Error)[]) {
  const reader = {
    reads: 0,
    async listOverrides(): Promise<ReadonlyMap<string, ModelPrice>> {
      const next = sequence[Math.min(reader.reads, sequence.length - 1)] ?? {};
      reader.reads += 1;
      if (next instanceof Error) throw next;
      return new Map(Object.entries(next));
    },
  };
  return reader;
}

describe('candidateModelNames', () => {
  it('tries the name as sent, then without a snapshot date, then without a reasoning effort', () => {
    assert.deepEqual(candidateModelNames(' OpenAI/GPT-5.2-Codex-2026-01-15 '), [
      'gpt-5.2-codex-2026-01-15',
      'gpt-5.2-codex',
    ]);
    assert.deepEqual(candidateModelNames('gpt-5.2-codex-high'), ['gpt-5.2-codex-high', 'gpt-5.2-codex']);
    assert.deepEqual(candidateModelNames('gpt-5.1'), ['gpt-5.1']);
  });

  it('strips a provider prefix, a date and an effort only where they stand: at the start and at the end', () => {
    assert.deepEqual(candidateModelNames('my-openai/gpt-5'), ['my-openai/gpt-5']);
    assert.deepEqual(candidateModelNames('gpt-2026-01-15-x'), ['gpt-2026-01-15-x']);
    assert.deepEqual(candidateModelNames('gpt-high-x'), ['gpt-high-x']);
  });
});

describe('PriceBook', () => {
  it("prices the requested model by override, then built-in, then the model sent, then the admin's default", async () => {
    const book = new PriceBook(overrides({ 'gpt-5.1': CHEAP, [DEFAULT_PRICE_MODEL]: HOUSE }));
    assert.deepEqual(await book.resolve('gpt-5.1', 'gpt-5.2'), {
      model: 'gpt-5.1',
      price: CHEAP,
      source: 'override',
    });
    assert.deepEqual(await book.resolve('gpt-5.2-high', 'x'), {
      model: 'gpt-5.2',
      price: BUILTIN_PRICES['gpt-5.2'],
      source: 'builtin',
    });
    assert.deepEqual(await book.resolve('alias', 'gpt-5.1'), {
      model: 'gpt-5.1',
      price: CHEAP,
      source: 'override',
    });
    assert.deepEqual(await book.resolve('alias', 'unknown'), { model: '*', price: HOUSE, source: 'default' });
  });

  it('falls back to the built-in default price without an admin default', async () => {
    const book = new PriceBook(overrides({}));
    assert.deepEqual(await book.resolve('alias', 'unknown'), {
      model: '*',
      price: BUILTIN_DEFAULT_PRICE,
      source: 'default',
    });
  });

  it('reads the overrides once per cache period, and again once it has passed', async () => {
    let now = 1_000;
    const reader = overrides({ 'gpt-5.1': CHEAP }, {});
    const book = new PriceBook(reader, { cacheMs: 60_000, now: () => now });
    await book.resolve('gpt-5.1', 'gpt-5.1');
    now += 59_999;
    assert.equal((await book.resolve('gpt-5.1', 'gpt-5.1')).source, 'override');
    assert.equal(reader.reads, 1);
    now += 1;
    assert.equal((await book.resolve('gpt-5.1', 'gpt-5.1')).source, 'builtin');
    assert.equal(reader.reads, 2);
  });

  it('caches for 60 s by default', async () => {
    let now = 0;
    const reader = overrides({});
    const book = new PriceBook(reader, { now: () => now });
    await book.resolve('gpt-5.1', 'gpt-5.1');
    now = 59_999;
    await book.resolve('gpt-5.1', 'gpt-5.1');
    assert.equal(reader.reads, 1);
    now = 60_000;
    await book.resolve('gpt-5.1', 'gpt-5.1');
    assert.equal(reader.reads, 2);
  });

  it('does not keep a failed read: the next price asks again', async () => {
    const reader = overrides(new Error('throttled'), { 'gpt-5.1': CHEAP });
    const book = new PriceBook(reader, { now: () => 0 });
    await assert.rejects(book.resolve('gpt-5.1', 'gpt-5.1'), /throttled/);
    assert.equal((await book.resolve('gpt-5.1', 'gpt-5.1')).source, 'override');
    assert.equal(reader.reads, 2);
  });
});
