/**
 * Admin price overrides ({@link PriceOverrideReader}, {@link AdminPriceStore}) in the Config
 * table: one `PRICE#<model>` item per model (`PRICE#*` for the default price of unknown models),
 * listed through the `listing` index (`PRICES` / model).
 *
 * @example
 * ```ts
 * const overrides = new DynamoPriceOverrides(documentClient(), settings.tables.config);
 * await overrides.setPrice('gpt-5.1-codex', { inputPicoPerToken: 1_000_000, cachedInputPicoPerToken: 100_000, outputPicoPerToken: 8_000_000 });
 * ```
 */

import { DEFAULT_PRICE_MODEL } from '../../billing/price-book.ts';
import type { ModelPrice } from '../../billing/price-table.ts';
import { assertValidPrice } from '../../billing/price-units.ts';
import { type ItemKey, keys, LIST } from '../../tables/keys.ts';
import type { AdminPriceStore, PriceExpectation, PriceOverride, PriceOverrideReader } from '../prices.ts';
import { DeleteCommand, PutCommand, UpdateCommand } from './commands.ts';
import { conditionHeld, whenConditionHeld } from './condition-failure.ts';
import { listedItem, listingQuery } from './config-items.ts';
import { queryAll } from './query-pages.ts';
import { DynamoTableStore } from './table-store.ts';

function expectation(expect: PriceExpectation): { expression: string; values: Record<string, unknown> } {
  if (expect === 'absent') return { expression: 'attribute_not_exists(pk)', values: {} };
  if (expect === 'present') return { expression: 'attribute_exists(pk)', values: {} };
  if (expect === 0)
    return { expression: 'attribute_exists(pk) AND attribute_not_exists(#version)', values: {} };
  return { expression: 'attribute_exists(pk) AND #version = :expected', values: { ':expected': expect } };
}

function priceKey(model: string): ItemKey {
  return model === DEFAULT_PRICE_MODEL ? keys.defaultPrice() : keys.price(model);
}

/** Model ids are matched lower-case (see `candidateModelNames`). */
function normalised(model: string): string {
  const name = model.trim().toLowerCase();
  if (name === '') throw new RangeError('model must not be empty');
  return name;
}

export class DynamoPriceOverrides extends DynamoTableStore implements PriceOverrideReader, AdminPriceStore {
  async list(): Promise<PriceOverride[]> {
    const items = await queryAll(this.client, { TableName: this.table, ...listingQuery(LIST.prices) });
    return items.map((item) => ({
      model: item.model as string,
      inputPicoPerToken: item.inputPicoPerToken as number,
      cachedInputPicoPerToken: item.cachedInputPicoPerToken as number,
      outputPicoPerToken: item.outputPicoPerToken as number,
      updatedAt: item.updatedAt as string,
      ...(typeof item.version === 'number' ? { version: item.version } : {}),
    }));
  }

  async listOverrides(): Promise<ReadonlyMap<string, ModelPrice>> {
    const overrides = await this.list();
    return new Map(
      overrides.map(({ model, inputPicoPerToken, cachedInputPicoPerToken, outputPicoPerToken }) => [
        model,
        { inputPicoPerToken, cachedInputPicoPerToken, outputPicoPerToken },
      ]),
    );
  }

  /** Sets (or replaces) the price of `model`; `*` sets the default price. */
  async setPrice(model: string, price: ModelPrice, now = new Date()): Promise<PriceOverride> {
    assertValidPrice(price);
    const name = normalised(model);
    const override: PriceOverride = {
      model: name,
      inputPicoPerToken: price.inputPicoPerToken,
      cachedInputPicoPerToken: price.cachedInputPicoPerToken,
      outputPicoPerToken: price.outputPicoPerToken,
      updatedAt: now.toISOString(),
    };
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: listedItem(priceKey(name), { list: LIST.prices, id: name }, 'price', override),
      }),
    );
    return override;
  }

  /**
   * The admin API's write, always conditional so two admins cannot silently overwrite each
   * other: `absent` creates, `present` replaces an existing override, a number replaces it only
   * while it is at that version (0: written without one). Every such write bumps `version`.
   * Resolves `undefined` when the condition does not hold.
   */
  async setPriceIfVersion(
    model: string,
    price: ModelPrice,
    expect: PriceExpectation,
    now = new Date(),
  ): Promise<PriceOverride | undefined> {
    assertValidPrice(price);
    const name = normalised(model);
    const condition = expectation(expect);
    const written = await whenConditionHeld(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: priceKey(name),
          UpdateExpression:
            'SET gsi1pk = :list, gsi1sk = :model, #kind = :kind, #model = :model, inputPicoPerToken = :input, ' +
            'cachedInputPicoPerToken = :cached, outputPicoPerToken = :output, updatedAt = :now, ' +
            '#version = if_not_exists(#version, :zero) + :one',
          ConditionExpression: condition.expression,
          ExpressionAttributeNames: { '#kind': 'kind', '#model': 'model', '#version': 'version' },
          ExpressionAttributeValues: {
            ':list': LIST.prices,
            ':model': name,
            ':kind': 'price',
            ':input': price.inputPicoPerToken,
            ':cached': price.cachedInputPicoPerToken,
            ':output': price.outputPicoPerToken,
            ':now': now.toISOString(),
            ':zero': 0,
            ':one': 1,
            ...condition.values,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (!written) return undefined;
    const item = written.Attributes ?? {};
    return {
      model: name,
      inputPicoPerToken: price.inputPicoPerToken,
      cachedInputPicoPerToken: price.cachedInputPicoPerToken,
      outputPicoPerToken: price.outputPicoPerToken,
      updatedAt: item.updatedAt as string,
      version: item.version as number,
    };
  }

  /** Removes an existing override (at a version, when given); false when the condition fails. */
  async removePriceIfVersion(model: string, expect: Exclude<PriceExpectation, 'absent'>): Promise<boolean> {
    const condition = expectation(expect);
    return conditionHeld(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: priceKey(normalised(model)),
          ConditionExpression: condition.expression,
          // DynamoDB refuses names and values the expression does not use.
          ...(condition.expression.includes('#version')
            ? { ExpressionAttributeNames: { '#version': 'version' } }
            : {}),
          ...(Object.keys(condition.values).length > 0
            ? { ExpressionAttributeValues: condition.values }
            : {}),
        }),
      ),
    );
  }

  /** Removes the override, so the built-in price (or default) applies again. */
  async removePrice(model: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.table, Key: priceKey(normalised(model)) }));
  }
}
