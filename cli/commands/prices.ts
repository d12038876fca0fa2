/**
 * `quotagate prices …`: the admin's price overrides (USD per 1M tokens; `*` is the default price
 * for models found nowhere). They read and write through the admin API (in-process on the
 * tables, or over HTTP with `--api`), so both give the same answers and refusals. A change is
 * pinned to the version just read, so two admins never overwrite each other silently.
 */
import type { PriceView } from '#shared/admin-api/price-routes.ts';
import { type CommandGroup, type CommandInput, defineCommand, type FlagSpec } from '../command.ts';
import { renderTable, time } from '../output.ts';
import { listAllCommand } from './standard-commands.ts';

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
/** `--model` as the API names it: the price table's keys are lower-case. */
const modelOf = (input: CommandInput) => input.text('model').trim().toLowerCase();
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
    listAllCommand({
      group: 'prices',
      path: '/admin/v1/prices',
      summary: 'List the price overrides (models not listed use the built-in table)',
      render: pricesTable,
    }),
    defineCommand<{ written: PriceView; changed: boolean }>({
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
      async run(api, input) {
        const model = modelOf(input);
        const price = {
          input: input.text('input'),
          cachedInput: input.text('cached-input'),
          output: input.text('output'),
        };
        // Pinned to the version just read: a change made meanwhile by another admin is refused.
        const current = (await api.list<PriceView>('/admin/v1/prices')).find(
          (entry) => entry.model === model,
        );
        const written = current
          ? await api.call<PriceView>('PATCH', path(model), { body: price, ifVersion: current.version ?? 0 })
          : await api.call<PriceView>('POST', '/admin/v1/prices', { body: { model, ...price } });
        return { written, changed: current !== undefined };
      },
      json: ({ written }) => written,
      render: ({ written, changed }) =>
        `${changed ? 'Changed' : 'Set'} the price of ${written.model}: input ${written.input}, cached input ${written.cachedInput}, output ${written.output} USD per 1M tokens (recorded requests keep their prices; new ones use it within a minute).`,
    }),
    defineCommand<{ model: string; deleted: boolean }>({
      name: 'remove',
      summary: "Remove a model's override: it is priced by the built-in table again",
      flags: { model: modelFlag },
      positional: 'model',
      examples: ['quotagate prices remove gpt-5.1'],
      run: (api, input) => api.call('DELETE', path(modelOf(input))),
      render: (answer) => `Removed the price override of ${answer.model}.`,
    }),
  ],
};
