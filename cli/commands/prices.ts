/**
 * `quotagate prices …`: the admin's price overrides (USD per 1M tokens; `*` is the default price
 * for models found nowhere). They read and write through the admin API (in-process on the
 * tables, or over HTTP with `--api`), so both give the same answers and refusals. A change is
 * pinned to the version just read, so two admins never overwrite each other silently.
 */
import type { PriceView } from '#shared/admin-api/price-routes.ts';
import type { CommandGroup, FlagSpec } from '../command.ts';
import { renderTable, time } from '../output.ts';

const modelFlag: FlagSpec = {
  type: 'string',
  required: true,
  value: 'model',
  description: 'Model id such as gpt-5.1, or * for the default price',
};
const usdFlag = (what: string): FlagSpec => ({
  type: 'string',
  required: true,
  value: 'usd',
  description: `${what}, USD per 1M tokens`,
});
const path = (model: string) => `/admin/v1/prices/${encodeURIComponent(model)}`;

function pricesTable(prices: PriceView[]): string {
  return renderTable(
    ['MODEL', 'INPUT', 'CACHED INPUT', 'OUTPUT', 'VERSION', 'UPDATED'],
    prices.map((price) => [
      price.model,
      price.input,
      price.cachedInput,
      price.output,
      String(price.version ?? '-'),
      time(price.updatedAt),
    ]),
  );
}

export const pricesCommands: CommandGroup = {
  name: 'prices',
  summary: 'Price overrides per model (USD per 1M tokens), beside the built-in table',
  commands: [
    {
      name: 'list',
      summary: 'List the price overrides (models not listed use the built-in table)',
      flags: {},
      examples: ['quotagate prices list'],
      async run(input) {
        const { data } = await (await input.adminApi()).call<{ data: PriceView[] }>(
          'GET',
          '/admin/v1/prices',
        );
        return { json: data, text: pricesTable(data) };
      },
    },
    {
      name: 'set',
      summary: "Set a model's price: creates the override or changes it",
      flags: {
        model: modelFlag,
        input: usdFlag('Input tokens'),
        'cached-input': usdFlag('Cached input tokens'),
        output: usdFlag('Output tokens'),
      },
      positional: 'model',
      examples: [
        'quotagate prices set gpt-5.1 --input 1.25 --cached-input 0.125 --output 10',
        "quotagate prices set '*' --input 2 --cached-input 0.2 --output 16",
      ],
      async run(input) {
        const api = await input.adminApi();
        const model = input.text('model').trim().toLowerCase();
        const price = {
          input: input.text('input'),
          cachedInput: input.text('cached-input'),
          output: input.text('output'),
        };
        const { data } = await api.call<{ data: PriceView[] }>('GET', '/admin/v1/prices');
        const current = data.find((entry) => entry.model === model);
        const written = current
          ? await api.call<PriceView>('PATCH', path(model), { body: price, ifVersion: current.version ?? 0 })
          : await api.call<PriceView>('POST', '/admin/v1/prices', { body: { model, ...price } });
        return {
          json: written,
          text: `${current ? 'Changed' : 'Set'} the price of ${written.model}: input ${written.input}, cached input ${written.cachedInput}, output ${written.output} USD per 1M tokens (recorded requests keep their prices; new ones use it within a minute).`,
        };
      },
    },
    {
      name: 'remove',
      summary: "Remove a model's override: it is priced by the built-in table again",
      flags: { model: modelFlag },
      positional: 'model',
      examples: ['quotagate prices remove gpt-5.1'],
      async run(input) {
        const model = input.text('model').trim().toLowerCase();
        const answer = await (await input.adminApi()).call<{ model: string; deleted: boolean }>(
          'DELETE',
          path(model),
        );
        return { json: answer, text: `Removed the price override of ${answer.model}.` };
      },
    },
  ],
};
