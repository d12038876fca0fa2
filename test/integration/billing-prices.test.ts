import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { PriceBook } from '#shared/billing/price-book.ts';
import { BUILTIN_DEFAULT_PRICE, BUILTIN_PRICES } from '#shared/billing/price-table.ts';
import { DynamoPriceOverrides } from '#shared/store/dynamo/billing-prices.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';

const cheap = { inputPicoPerToken: 100, cachedInputPicoPerToken: 10, outputPicoPerToken: 1000 };

describe('price overrides in the Config table and the price book', () => {
  let db: RunningDynalite;
  let overrides: DynamoPriceOverrides;
  const tables = tableNamesForStage('prices');

  before(async () => {
    db = await startDynalite({ port: 0 });
    await ensureTables(db.endpoint, tables);
    overrides = new DynamoPriceOverrides(createDocumentClient(db.endpoint), tables.config);
  });
  beforeEach(async () => {
    for (const override of await overrides.list()) await overrides.removePrice(override.model);
  });
  after(() => db.close());

  it('stores an override under its lower-case model id and lists it back', async () => {
    await overrides.setPrice(' GPT-5.1-Codex ', cheap);
    const listed = await overrides.list();
    assert.deepEqual(
      listed.map(({ model, inputPicoPerToken }) => [model, inputPicoPerToken]),
      [['gpt-5.1-codex', 100]],
    );
    assert.deepEqual((await overrides.listOverrides()).get('gpt-5.1-codex'), cheap);
  });

  it('refuses a price that is not a non-negative integer', async () => {
    await assert.rejects(overrides.setPrice('gpt-5', { ...cheap, outputPicoPerToken: 1.5 }), RangeError);
    await assert.rejects(overrides.setPrice('gpt-5', { ...cheap, inputPicoPerToken: -1 }), RangeError);
  });

  it('prices the requested model first, by override before the built-in table', async () => {
    await overrides.setPrice('gpt-5.1-codex', cheap);
    const book = new PriceBook(overrides);
    assert.deepEqual(await book.resolve('gpt-5.1-codex-high', 'gpt-5.2'), {
      model: 'gpt-5.1-codex',
      price: cheap,
      source: 'override',
    });
    assert.deepEqual(await book.resolve('gpt-5.2-2025-12-11', 'gpt-5.1-codex'), {
      model: 'gpt-5.2',
      price: BUILTIN_PRICES['gpt-5.2'],
      source: 'builtin',
    });
  });

  it('falls back to the model sent, then to the default price, admin-set or built-in', async () => {
    const book = () => new PriceBook(overrides);
    assert.equal((await book().resolve('team-alias', 'gpt-5-mini')).model, 'gpt-5-mini');
    assert.deepEqual(await book().resolve('team-alias', 'mystery'), {
      model: '*',
      price: BUILTIN_DEFAULT_PRICE,
      source: 'default',
    });
    await overrides.setPrice('*', cheap);
    assert.deepEqual(await book().resolve('team-alias', 'mystery'), {
      model: '*',
      price: cheap,
      source: 'default',
    });
  });

  it('reads the overrides once per cache period', async () => {
    // Prepare
    let now = 0;
    const book = new PriceBook(overrides, { cacheMs: 60_000, now: () => now });
    await book.resolve('gpt-5', 'gpt-5');
    await overrides.setPrice('gpt-5', cheap);

    // Act
    const cached = await book.resolve('gpt-5', 'gpt-5');
    now = 60_000;
    const refreshed = await book.resolve('gpt-5', 'gpt-5');

    // Assess
    assert.equal(cached.source, 'builtin');
    assert.equal(refreshed.source, 'override');
  });
});
