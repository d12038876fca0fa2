/**
 * `quotagate usage …` for finance and operators:
 *
 * - `export` streams usage records (CSV or JSON Lines) page by page from the admin API's
 *   `GET /admin/v1/usage/records` — in-process on the tables, or over HTTP with `--api` — to
 *   stdout or `--out`. A bare day in `--to` is inclusive (`--to 2026-11-30` covers the 30th); an
 *   ISO time is exclusive. While a person watches (stderr is a terminal that is not also
 *   receiving the records) a progress line is kept up to date.
 * - `from-export` writes the same records from DynamoDB table exports instead of the live table.
 * - `replay-parked` and `sweep-pending` repair what the recorder could not finish (see
 *   usage-repairs.ts); they work on the tables only.
 *
 * @example
 * ```ts
 * const code = await runCli(['usage', 'export', '--from', '2026-11-01', '--to', '2026-11-30'], io);
 * ```
 */

import { UsageExportFold } from '#shared/usage/export-fold.ts';
import { openTableExport } from '#shared/usage/table-export.ts';
import {
  type CommandGroup,
  type CommandInput,
  defineCommand,
  type FlagSpec,
  UsageError,
} from '../command.ts';
import { exportFilesAt, type S3Options } from '../export-locations.ts';
import { emailsOverApi, recordsOverApi } from '../usage-over-api.ts';
import { outputOf, writeUsageRecords } from '../usage-writer.ts';
import { replayParkedCommand, sweepPendingCommand } from './usage-repairs.ts';

const text = (value: string, description: string): FlagSpec => ({ type: 'string', value, description });

/** The flags of the two commands that write records, read the same way by both. */
const outputFlags: Record<string, FlagSpec> = {
  from: text('day|iso', 'From this UTC day or ISO time'),
  to: text('day|iso', 'Up to this UTC day (included) or ISO time (excluded)'),
  format: text('csv|jsonl', 'CSV (default) or JSON Lines'),
  out: text('file', 'Write to this file instead of stdout'),
};

function output(input: CommandInput, rangeRequired: boolean) {
  const given = input.fields({ from: 'from', to: 'to', format: 'format' });
  return outputOf({ ...given, format: given.format ?? 'csv' }, rangeRequired);
}

const outFile = (input: CommandInput) => {
  const out = input.optionalText('out');
  return out === undefined ? {} : { out };
};

/** One full export folded with any incremental ones; refuses none or two full exports. */
async function foldExports(locations: string[], s3: S3Options): Promise<UsageExportFold> {
  const fold = new UsageExportFold();
  let fullExports = 0;
  for (const location of locations) {
    const files = exportFilesAt(location, s3);
    try {
      const table = await openTableExport(files);
      if (table.type === 'full') fullExports += 1;
      for await (const line of table.lines()) fold.add(table, line);
    } finally {
      files.close?.();
    }
  }
  if (fullExports !== 1) {
    throw new UsageError(
      `from-export needs exactly one full export (the incremental ones only hold changes), got ${fullExports}.`,
    );
  }
  return fold;
}

export const usageCommands: CommandGroup = {
  name: 'usage',
  summary: 'Export usage records (CSV/JSONL) and replay parked usage events',
  commands: [
    defineCommand<{ records: number }>({
      name: 'export',
      summary: 'Write the usage records of a range as CSV or JSON Lines, oldest first',
      flags: {
        ...outputFlags,
        user: text('id', 'Only this user'),
        key: text('id', 'Only this API key'),
        account: text('id', 'Only this upstream account'),
      },
      examples: [
        'quotagate usage export --from 2026-11-01 --to 2026-11-30 --out november.csv',
        'quotagate usage export --from 2026-11-01 --to 2026-11-30 --format jsonl --user usr_8k2m4q9z1x0c',
      ],
      notes: ['--from and --to are required. Days are UTC (yyyy-mm-dd).'],
      async run(api, input, { io }) {
        const { range, format, requested } = output(input, true);
        const filter = {
          from: range.from ?? 0,
          to: range.to ?? 0,
          ...input.fields({ userId: 'user', apiKeyId: 'key', accountId: 'account' }),
        };
        const records = await writeUsageRecords(recordsOverApi(api, filter), {
          format,
          ...outFile(input),
          io,
          emailOf: emailsOverApi(api),
          requested,
        });
        return { records };
      },
      json: false,
      render: () => '',
    }),
    defineCommand<{ records: number }>({
      name: 'from-export',
      summary: 'Write the usage records of DynamoDB table exports as export does',
      flags: {
        export: {
          type: 'string',
          multiple: true,
          value: 'dir|s3://prefix',
          description: 'A full export, then any incremental ones: the folder holding manifest-summary.json',
        },
        ...outputFlags,
        's3-endpoint': text('url', 'S3 endpoint for s3:// exports (default: AWS in --region)'),
      },
      positional: 'export',
      examples: [
        'quotagate usage from-export ./exports/full ./exports/incr-1 --from 2026-11-01 --to 2026-11-30',
        'quotagate usage from-export s3://bucket/quotagate/usage/AWSDynamoDB/0170-full --out november.csv',
      ],
      notes: [
        'Folds one full export with the incremental exports after it and writes the applied records;',
        "users' emails come from the users the CLI reaches (the tables, or the admin API with --api).",
      ],
      async run(api, input, { io, env }) {
        const locations = input.list('export') ?? [];
        if (locations.length === 0)
          throw new UsageError('from-export needs the folder (or s3:// prefix) of at least one full export.');
        const { range, format, requested } = output(input, false);
        const region = input.optionalText('region') ?? env.AWS_REGION;
        const endpoint = input.optionalText('s3-endpoint');
        const fold = await foldExports(locations, {
          ...(region ? { region } : {}),
          ...(endpoint ? { endpoint } : {}),
        });
        const records = await writeUsageRecords(fold.appliedRecords(range), {
          format,
          ...outFile(input),
          io,
          emailOf: emailsOverApi(api),
          requested: `${requested}, ${locations.length} export(s)`,
        });
        return { records };
      },
      json: false,
      render: () => '',
    }),
    replayParkedCommand,
    sweepPendingCommand,
  ],
};
