/**
 * Price overrides (`PRICE#<model>` in the Config table, `*` for the default price), in USD per
 * 1M tokens as people write them ("1.25"), kept as integer pico-USD per token. Every write is
 * conditional: a create only if no override exists, a change only if it still exists (and is at
 * the If-Match version, when given). The recorder picks changes up within its 60 s price cache.
 */
import { AdminError } from '../admin/admin-error.ts';
import type { ModelPrice } from '../billing/price-table.ts';
import { formatUsdPerMillion, parseUsdPerMillion } from '../billing/price-units.ts';
import type { PriceExpectation, PriceOverride } from '../store/prices.ts';
import { expectedVersion, type JsonObject, readBody, requiredText, scalar } from './input.ts';
import { type AdminRoute, item, param, type RouteContext } from './routes.ts';

const PRICE_FIELDS = ['input', 'cachedInput', 'output'] as const;

export interface PriceView extends PriceOverride {
  /** USD per 1M tokens. */
  input: string;
  cachedInput: string;
  output: string;
}

function view(override: PriceOverride): PriceView {
  return {
    ...override,
    input: formatUsdPerMillion(override.inputPicoPerToken),
    cachedInput: formatUsdPerMillion(override.cachedInputPicoPerToken),
    output: formatUsdPerMillion(override.outputPicoPerToken),
  };
}

function modelName(value: string): string {
  const model = value.trim().toLowerCase();
  if (!/^(\*|[a-z0-9][\w.:/-]{0,199})$/.test(model)) {
    throw AdminError.invalid(
      `Model "${value}" must be a model id such as gpt-5.1, or * for the default price.`,
    );
  }
  return model;
}

function priceOf(body: JsonObject): ModelPrice {
  const [input, cachedInput, output] = PRICE_FIELDS.map((field) => {
    const value = scalar(body, field);
    if (value === undefined) throw AdminError.invalid(`Field "${field}" (USD per 1M tokens) is required.`);
    try {
      return parseUsdPerMillion(String(value), `Field "${field}"`);
    } catch (error) {
      throw AdminError.invalid(`${(error as Error).message}.`);
    }
  }) as [number, number, number];
  return { inputPicoPerToken: input, cachedInputPicoPerToken: cachedInput, outputPicoPerToken: output };
}

async function refusal(context: RouteContext, model: string, expect: PriceExpectation): Promise<AdminError> {
  const current = (await context.deps.prices.list()).find((override) => override.model === model);
  if (expect === 'absent') {
    return AdminError.conflict(
      `A price for ${model} already exists (version ${current?.version ?? 0}); change it instead.`,
    );
  }
  if (!current) return AdminError.notFound(`There is no price override for ${model}.`);
  return AdminError.conflict(
    `The price of ${model} was changed by someone else (it is now at version ${current.version ?? 0}); ` +
      'read it again and retry.',
  );
}

async function write(context: RouteContext, model: string, price: ModelPrice, expect: PriceExpectation) {
  const written = await context.deps.prices.setPriceIfVersion(model, price, expect);
  if (!written) throw await refusal(context, model, expect);
  return view(written);
}

export const priceRoutes: AdminRoute[] = [
  {
    method: 'GET',
    pattern: '/admin/v1/prices',
    async handle({ deps }) {
      const overrides = await deps.prices.list();
      return { body: { data: overrides.sort((a, b) => a.model.localeCompare(b.model)).map(view) } };
    },
  },
  {
    method: 'POST',
    pattern: '/admin/v1/prices',
    async handle(context) {
      const body = readBody(context.request, ['model', ...PRICE_FIELDS]);
      const model = modelName(requiredText(body, 'model'));
      return item(await write(context, model, priceOf(body), 'absent'), 201);
    },
  },
  {
    method: 'PATCH',
    pattern: '/admin/v1/prices/{model}',
    async handle(context) {
      const body = readBody(context.request, [...PRICE_FIELDS, 'version']);
      const model = modelName(param(context, 'model'));
      const price = priceOf(body);
      return item(await write(context, model, price, expectedVersion(context.request, body) ?? 'present'));
    },
  },
  {
    method: 'DELETE',
    pattern: '/admin/v1/prices/{model}',
    async handle(context) {
      const model = modelName(param(context, 'model'));
      const expect = expectedVersion(context.request) ?? 'present';
      if (!(await context.deps.prices.removePriceIfVersion(model, expect)))
        throw await refusal(context, model, expect);
      return { body: { model, deleted: true } };
    },
  },
];
