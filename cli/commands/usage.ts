/**
 * `quotagate usage …` for finance and operators:
 *
 * - `export --from <day|iso> --to <day|iso> [--format csv|jsonl] [--user id] [--key id]
 *   [--account id] [--out file] [--api url [--admin-token t]]` streams usage records out of the
 *   Usage table, day by day, page by page (with `--api`, through the admin API instead). A bare day in `--to` is inclusive (`--to 2026-11-30` covers the 30th); an ISO time
 *   is exclusive. While a person watches (stderr is a terminal that is not also receiving the
 *   records) a progress line is kept up to date.
 * - `replay-parked` records the usage events the gateway had to park because EventBridge
 *   refused them, then removes them from the parking.
 * - `sweep-pending [--days n]` finishes the usage records left `pending` whose event was lost
 *   and records as `lost` the requests a dead gateway left `started`
 *   (today and the `n` days before it, default 2), as the recorder's schedule does; a record a
 *   live delivery still holds is left to it.
 *
 * Unlike the other command groups this one streams, so it is a function of argv and I/O of its
 * own, {@link runUsageCommand}, that `cli/main.ts` dispatches `usage` to. Target flags
 * (`--endpoint`, `--region`, `--stage`, table names) work as for every other command.
 *
 * @example
 * ```ts
 * const code = await runUsageCommand(['export', '--from', '2026-11-01', '--to', '2026-11-30'], io);
 * ```
 */

import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { DEFAULT_SWEEP_DAYS, type SweepSummary } from '#shared/recorder/pending-sweep.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { exportUsageRecords } from '#shared/usage/export.ts';
import { UsageExportFold } from '#shared/usage/export-fold.ts';
import { openTableExport } from '#shared/usage/table-export.ts';
import { httpTransport } from '../admin-api-client.ts';
import { UsageError } from '../command.ts';
import { exportFilesAt, type S3Options } from '../export-locations.ts';
import { describeFailure } from '../failure.ts';
import { createTargetClient, resolveApiTarget, resolveTarget } from '../target.ts';
import { emailsOverApi, recordsOverApi } from '../usage-over-api.ts';
import {
  OUTPUT_OPTIONS,
  type OutputContext,
  outputOf,
  type TextStream,
  writeRecords,
  writeUsageRecords,
} from '../usage-writer.ts';

export interface UsageCommandIo {
  stdout: TextStream;
  stderr: TextStream;
  env?: Record<string, string | undefined>;
}

const HELP = `Usage:
  quotagate usage export --from <day|iso> --to <day|iso> [--format csv|jsonl]
                         [--user <id>] [--key <id>] [--account <id>] [--out <file>]
                         [--api <url> [--admin-token <token>]]
  quotagate usage from-export <dir|s3://prefix>… [--from <day|iso>] [--to <day|iso>]
                         [--format csv|jsonl] [--out <file>] [--s3-endpoint <url>]
  quotagate usage replay-parked [--limit <n>]
  quotagate usage sweep-pending [--days <n>]

Days are UTC (yyyy-mm-dd). A day given to --to is included; an ISO time is not.
from-export reads one full DynamoDB export and the incremental exports after it (each given as
the folder or s3:// prefix holding its manifest-summary.json) and writes the applied records as
export does; emails are read from the Config table of the target.
Target: --endpoint <url> | --region <region> --stage <stage> | --config-table/--usage-table <name>`;

const TARGET_OPTIONS = {
  region: { type: 'string' },
  stage: { type: 'string' },
  endpoint: { type: 'string' },
  'config-table': { type: 'string' },
  'state-table': { type: 'string' },
  'usage-table': { type: 'string' },
  help: { type: 'boolean' },
} as const;

type RunContext = OutputContext;

async function exportCommand(args: string[], io: UsageCommandIo, context: RunContext): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...TARGET_OPTIONS,
      ...OUTPUT_OPTIONS,
      user: { type: 'string' },
      key: { type: 'string' },
      account: { type: 'string' },
      api: { type: 'string' },
      'admin-token': { type: 'string' },
    },
    strict: true,
  });
  const output = outputOf(values, true);
  const { from = 0, to = 0 } = output.range;
  const filter = { userId: values.user, apiKeyId: values.key, accountId: values.account };
  const api = resolveApiTarget(values, context.env);
  if (api) {
    const transport = httpTransport(api);
    await writeUsageRecords(recordsOverApi(transport, { from, to, ...filter }), {
      format: output.format,
      ...(values.out !== undefined ? { out: values.out } : {}),
      io,
      emailOf: emailsOverApi(transport),
      requested: output.requested,
    });
    return;
  }
  await writeRecords(values, output, io, context, (client, target) =>
    exportUsageRecords({ from, to, ...filter }, new DynamoUsageReader(client, target.tables.usage)),
  );
}

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

/**
 * `from-export`: the applied records of one full export folded with any incremental exports
 * (shared/usage/export-fold.ts), written exactly as `export` writes the same records.
 */
async function fromExportCommand(args: string[], io: UsageCommandIo, context: RunContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...TARGET_OPTIONS, ...OUTPUT_OPTIONS, 's3-endpoint': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length === 0)
    throw new UsageError('from-export needs the folder (or s3:// prefix) of at least one full export.');
  const output = outputOf(values, false);
  const region = values.region ?? context.env.AWS_REGION;
  const fold = await foldExports(positionals, {
    ...(region ? { region } : {}),
    ...(values['s3-endpoint'] ? { endpoint: values['s3-endpoint'] } : {}),
  });
  await writeRecords(
    values,
    output,
    io,
    context,
    async function* () {
      yield* fold.appliedRecords(output.range);
    },
    `, ${positionals.length} export(s)`,
  );
}

async function replayParkedCommand(args: string[], io: UsageCommandIo, context: RunContext): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ...TARGET_OPTIONS, limit: { type: 'string' } },
    strict: true,
  });
  const limit = values.limit === undefined ? Number.MAX_SAFE_INTEGER : Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer.');
  const target = resolveTarget(values, context.env);
  context.target = target;
  const client = createTargetClient(target);
  const logger = new Logger({ serviceName: 'quotagate-cli', logLevel: 'ERROR' });
  const runtime = createRecorderRuntime({ tables: target.tables, client, logger });
  let recorded = 0;
  let failed = 0;
  try {
    for (;;) {
      const summary = await runtime.drainParked();
      recorded += summary.recorded;
      failed += summary.failed;
      // Stop when the parking is empty, or when every event left keeps failing.
      if (!summary.more || summary.recorded === 0 || recorded + failed >= limit) break;
    }
  } finally {
    client.destroy();
  }
  io.stdout.write(`Recorded ${recorded} parked usage event(s); ${failed} could not be recorded.\n`);
  if (failed > 0) throw new Error(`${failed} parked usage event(s) are still parked; see the errors above.`);
}

async function sweepPendingCommand(args: string[], io: UsageCommandIo, context: RunContext): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { ...TARGET_OPTIONS, days: { type: 'string' } },
    strict: true,
  });
  const days = values.days === undefined ? DEFAULT_SWEEP_DAYS : Number(values.days);
  if (!Number.isSafeInteger(days) || days < 0)
    throw new UsageError('--days must be 0 or a positive integer.');
  const target = resolveTarget(values, context.env);
  context.target = target;
  const client = createTargetClient(target);
  const logger = new Logger({ serviceName: 'quotagate-cli', logLevel: 'ERROR' });
  const runtime = createRecorderRuntime({ tables: target.tables, client, logger });
  let summary: SweepSummary;
  try {
    summary = await runtime.sweepPending({ days });
  } finally {
    client.destroy();
  }
  io.stdout.write(
    `Finished ${summary.completed} stranded usage record(s); recorded ${summary.lost} request(s) ` +
      `the gateway never finished as lost; ${summary.skipped} left to a live delivery; ` +
      `${summary.failed} could not be finished.\n`,
  );
  if (summary.failed > 0)
    throw new Error(`${summary.failed} usage record(s) are still pending; see the errors above.`);
}

/** Runs `quotagate usage <command> …`; returns the exit code (0 done, 1 failed, 2 bad usage). */
export async function runUsageCommand(argv: string[], io: UsageCommandIo): Promise<number> {
  const context: RunContext = { env: io.env ?? process.env };
  const [command, ...args] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || args.includes('--help')) {
      (command === undefined ? io.stderr : io.stdout).write(`${HELP}\n`);
      return command === undefined ? 2 : 0;
    }
    if (command === 'export') await exportCommand(args, io, context);
    else if (command === 'from-export') await fromExportCommand(args, io, context);
    else if (command === 'replay-parked') await replayParkedCommand(args, io, context);
    else if (command === 'sweep-pending') await sweepPendingCommand(args, io, context);
    else
      throw new UsageError(
        `quotagate usage has no command "${command.slice(0, 30)}".`,
        'quotagate usage --help',
      );
    return 0;
  } catch (error) {
    const usage =
      error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS');
    const failure = describeFailure(
      usage ? new UsageError(error.message, 'quotagate usage --help') : error,
      context.target,
    );
    io.stderr.write(`Error: ${failure.message}\n`);
    return failure.exitCode;
  }
}
