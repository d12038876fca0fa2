/**
 * `quotagate ops …`: what operators look at when something is off. All three read through the
 * admin API (in-process on the tables, or over HTTP with `--api`), so both give the same answer:
 *
 * - `errors`: ops error records (refused and failed requests), newest first, with filters;
 * - `usage`: daily usage of a user, key, account or model from the aggregates, or without `--id`
 *   the totals and top N users, keys, models and accounts of a range from the records;
 * - `health`: an account's state, cooldown, Codex 5 h / 7 d usage and in-flight slots.
 */

import type { AccountHealthReport } from '#shared/admin-api/account-health.ts';
import type { UsageByDay } from '#shared/admin-api/usage-query.ts';
import type { StoredOpsRecord } from '#shared/ops/ops-record.ts';
import type { TopDimension, TopEntry, UsageSummary } from '#shared/usage/usage-summary.ts';
import { type CommandGroup, defineCommand, type FlagSpec, UsageError } from '../command.ts';
import { orDash, renderFields, renderTable, time } from '../output.ts';

const text = (value: string, description: string): FlagSpec => ({ type: 'string', value, description });

function errorsTable(records: StoredOpsRecord[]): string {
  return renderTable(
    ['TIME', 'STATUS', 'TYPE', 'ROUTE', 'USER', 'KEY', 'ACCOUNT', 'UPSTREAM', 'MS', 'REQUEST', 'MESSAGE'],
    records.map((record) => [
      record.time.replace('T', ' ').slice(0, 19),
      String(record.status),
      record.errorType,
      `${record.method} ${record.route}`,
      orDash(record.userId),
      orDash(record.apiKeyId),
      orDash(record.accountId),
      orDash(record.upstreamStatus),
      String(record.latencyMs),
      record.requestId,
      record.message.replace(/\s+/g, ' ').slice(0, 80),
    ]),
  );
}

/** What both usage reports count per row: a day's totals, or one top entry's. */
type Counted = Omit<TopEntry, 'id'>;

/** The counted columns, header beside cell; the top tables leave cached input out. */
const COUNTED_COLUMNS: { header: string; cell: (row: Counted) => string; inTop: boolean }[] = [
  { header: 'REQUESTS', cell: (row) => String(row.requests), inTop: true },
  { header: 'INPUT', cell: (row) => String(row.inputTokens), inTop: true },
  { header: 'CACHED', cell: (row) => String(row.cachedInputTokens), inTop: false },
  { header: 'OUTPUT', cell: (row) => String(row.outputTokens), inTop: true },
  { header: 'COST', cell: (row) => `${row.costUsd} USD`, inTop: true },
  { header: 'BILLED', cell: (row) => `${row.billedUsd} USD`, inTop: true },
  { header: 'FAILED', cell: (row) => String(row.failedRequests), inTop: true },
];

/** A table whose first column names each row and whose others are `columns` of its counts. */
function countedTable(first: string, rows: [string, Counted][], columns: typeof COUNTED_COLUMNS): string {
  return renderTable(
    [first, ...columns.map((column) => column.header)],
    rows.map(([name, counted]) => [name, ...columns.map((column) => column.cell(counted))]),
  );
}

function usageTable(report: UsageByDay): string {
  const rows = report.days.map((day): [string, Counted] => [day.day, day]);
  return [
    `Usage of ${report.by} ${report.id}, ${report.from} to ${report.to} (UTC days):`,
    countedTable('DAY', [...rows, ['total', report.total]], COUNTED_COLUMNS),
  ].join('\n');
}

const TOP_TITLES: Record<TopDimension, string> = {
  user: 'Top users',
  key: 'Top keys',
  model: 'Top models',
  account: 'Top accounts',
};

function topTables(summary: UsageSummary, dimensions: TopDimension[]): string {
  const { total } = summary;
  const lines = [
    `Usage from ${summary.from} to ${summary.to}: ${total.requests} requests, ${total.inputTokens} input and ${total.outputTokens} output tokens, ${total.costUsd} USD list cost, ${total.billedUsd} USD billed, ${total.errors} errors${summary.truncated ? ' (more records than one summary reads: narrow the range)' : ''}.`,
  ];
  for (const dimension of dimensions) {
    lines.push(
      '',
      `${TOP_TITLES[dimension]}:`,
      countedTable(
        dimension.toUpperCase(),
        summary.top[dimension].map((entry) => [entry.id, entry]),
        COUNTED_COLUMNS.filter((column) => column.inTop),
      ),
    );
  }
  return lines.join('\n');
}

function percent(window: { usedPercent: number | null; resetsAt: string | null } | null): string | undefined {
  if (!window || window.usedPercent === null) return undefined;
  return `${window.usedPercent}%${window.resetsAt ? ` (resets ${time(window.resetsAt)})` : ''}`;
}

function healthFields(report: AccountHealthReport): string {
  return renderFields([
    ['Account', `${report.accountId} (${report.name})`],
    ['Status', report.status],
    ['State', report.state],
    ['Reason', report.reason ?? undefined],
    ['Until', report.until ? `${time(report.until)}${report.coolingDown ? '' : ' (passed)'}` : undefined],
    ['Schedulable', report.schedulable ? 'yes' : 'no'],
    ['In flight', `${report.inFlight} of ${report.concurrency}`],
    ['Waiting', String(report.waiting)],
    ['Codex 5h', percent(report.codexUsage?.fiveHour ?? null)],
    ['Codex 7d', percent(report.codexUsage?.sevenDay ?? null)],
    ['Codex as of', report.codexUsage ? time(report.codexUsage.updatedAt) : undefined],
    ['Last used', time(report.lastUsedAt ?? undefined)],
  ]);
}

export const opsCommands: CommandGroup = {
  name: 'ops',
  summary: 'Operations: error log, usage by day and top users/keys/models, account health',
  commands: [
    defineCommand<{ data: StoredOpsRecord[]; nextCursor?: string }>({
      name: 'errors',
      summary: 'List refused and failed requests, newest first (default: last 24 hours)',
      flags: {
        from: text('day|iso', 'From this UTC day or ISO time'),
        to: text('day|iso', 'Up to this UTC day (included) or ISO time (excluded)'),
        status: text('code|class', 'Only this status (429) or class (5xx)'),
        type: text('type', 'Only this error type (rate_limit_error, upstream_error, …)'),
        user: text('id', 'Only this user'),
        key: text('id', 'Only this API key'),
        account: text('id', 'Only this upstream account'),
        limit: text('n', 'At most this many records (default 100, at most 1000)'),
        cursor: text('cursor', 'Continue after a previous page (its "nextCursor")'),
      },
      examples: [
        'quotagate ops errors --status 5xx',
        'quotagate ops errors --from 2026-11-27 --type rate_limit_error --account acc_5h7j9k1m3n4p',
      ],
      run(api, input) {
        const filters = ['from', 'to', 'status', 'type', 'user', 'key', 'account', 'limit', 'cursor'];
        return api.call('GET', '/admin/v1/ops', {
          query: input.fields(Object.fromEntries(filters.map((name) => [name, name]))),
        });
      },
      render(page) {
        const more = page.nextCursor ? `\n\nMore: add --cursor '${page.nextCursor}'` : '';
        return `${errorsTable(page.data)}${more}`;
      },
    }),
    defineCommand<{ daily: UsageByDay } | { summary: UsageSummary; shown: TopDimension[] }>({
      name: 'usage',
      summary:
        'Daily usage of one user, key, account or model; without --id, the top N of each (default: this UTC month)',
      flags: {
        by: text('user|key|account|model', 'What to report on (without --id: which top list; default all)'),
        id: text('id', 'Its id (a model name for --by model); leave out for the top N across all'),
        from: text('day', 'First UTC day'),
        to: text('day', 'Last UTC day (included)'),
        top: text('n', 'How many of each top list (default 10, at most 100; without --id)'),
      },
      examples: [
        'quotagate ops usage --by user --id usr_8k2m4q9z1x0c',
        'quotagate ops usage --by model --id gpt-5.1 --from 2026-11-01 --to 2026-11-30',
        'quotagate ops usage --top 5',
        'quotagate ops usage --by key --from 2026-11-01 --to 2026-11-30',
      ],
      async run(api, input) {
        const by = input.optionalText('by');
        const id = input.optionalText('id');
        const range = { from: input.optionalText('from'), to: input.optionalText('to') };
        if (id !== undefined) {
          if (by === undefined)
            throw new UsageError(
              '--id needs --by (user, key, account or model).',
              'quotagate ops usage --help',
            );
          if (input.optionalText('top') !== undefined)
            throw new UsageError('--top lists across all; leave out --id.', 'quotagate ops usage --help');
          return {
            daily: await api.call<UsageByDay>('GET', '/admin/v1/usage', { query: { by, id, ...range } }),
          };
        }
        const dimensions = ['user', 'key', 'model', 'account'] as TopDimension[];
        if (by !== undefined && !dimensions.includes(by as TopDimension)) {
          throw new UsageError(
            `--by must be one of ${dimensions.join(', ')}, got "${by}".`,
            'quotagate ops usage --help',
          );
        }
        const summary = await api.call<UsageSummary>('GET', '/admin/v1/usage/summary', {
          query: {
            bucket: 'day',
            from: range.from,
            to: range.to,
            top: input.optionalText('top'),
          },
        });
        return { summary, shown: by === undefined ? dimensions : [by as TopDimension] };
      },
      json: (report) => ('daily' in report ? report.daily : report.summary),
      render: (report) =>
        'daily' in report ? usageTable(report.daily) : topTables(report.summary, report.shown),
    }),
    defineCommand<AccountHealthReport>({
      name: 'health',
      summary: "An account's state, cooldown, Codex usage and in-flight slots",
      flags: { account: { ...text('id', 'Account id (acc_…)'), required: true } },
      positional: 'account',
      examples: ['quotagate ops health acc_5h7j9k1m3n4p'],
      run: (api, input) => api.call('GET', `/admin/v1/accounts/${input.id('account')}/health`),
      render: healthFields,
    }),
  ],
};
