/**
 * `quotagate usage …` for finance and operators:
 *
 * - `export --from <day|iso> --to <day|iso> [--format csv|jsonl] [--user id] [--key id]
 *   [--account id] [--out file]` streams usage records out of the Usage table, day by day, page
 *   by page. A bare day in `--to` is inclusive (`--to 2026-11-30` covers the 30th); an ISO time
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
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_SWEEP_DAYS, type SweepSummary } from '#shared/recorder/pending-sweep.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { DynamoConfigDirectory } from '#shared/store/dynamo/config-directory.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { exportUsageRecords } from '#shared/usage/export.ts';
import { UsageExportFold } from '#shared/usage/export-fold.ts';
import { openTableExport } from '#shared/usage/table-export.ts';
import { UsageError } from '../command.ts';
import { exportFilesAt } from '../export-locations.ts';
import { describeFailure } from '../failure.ts';
import { createTargetClient, resolveTarget, type Target } from '../target.ts';
import { type TextStream, writeUsageRecords } from '../usage-writer.ts';

export interface UsageCommandIo {
  stdout: TextStream;
  stderr: TextStream;
  env?: Record<string, string | undefined>;
}

const HELP = `Usage:
  quotagate usage export --from <day|iso> --to <day|iso> [--format csv|jsonl]
                         [--user <id>] [--key <id>] [--account <id>] [--out <file>]
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

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `--from`/`--to` as epoch ms; a bare day in `--to` means the end of that day. */
export function parseBound(text: string, flag: 'from' | 'to'): number {
  const isDay = DAY.test(text);
  const ms = Date.parse(isDay ? `${text}T00:00:00.000Z` : text);
  if (Number.isNaN(ms))
    throw new UsageError(`--${flag} must be a day (2026-11-01) or an ISO time, got "${text}".`);
  return isDay && flag === 'to' ? ms + 86_400_000 : ms;
}

/** Where the command went, for error messages ("cannot reach the local stack at …"). */
interface RunContext {
  env: Record<string, string | undefined>;
  target?: Target;
}

async function exportCommand(args: string[], io: UsageCommandIo, context: RunContext): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      ...TARGET_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'csv' },
      user: { type: 'string' },
      key: { type: 'string' },
      account: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
  });
  if (values.from === undefined || values.to === undefined)
    throw new UsageError('--from and --to are required.');
  if (values.format !== 'csv' && values.format !== 'jsonl')
    throw new UsageError('--format must be csv or jsonl.');
  const from = parseBound(values.from, 'from');
  const to = parseBound(values.to, 'to');
  if (to <= from) throw new UsageError('--to must come after --from.');
  const target = resolveTarget(values, context.env);
  context.target = target;
  const client = createTargetClient(target);
  try {
    const reader = new DynamoUsageReader(client, target.tables.usage);
    const range = { from, to, userId: values.user, apiKeyId: values.key, accountId: values.account };
    await writeUsageRecords(exportUsageRecords(range, reader), {
      format: values.format,
      ...(values.out !== undefined ? { out: values.out } : {}),
      io,
      emailOf: userEmails(client, target),
      requested: `--from ${values.from} --to ${values.to}`,
    });
  } finally {
    client.destroy();
  }
}

/** The user's email as the Config table holds it now; empty for a user since deleted. */
export function userEmails(client: DynamoDBDocumentClient, target: Target) {
  const directory = new DynamoConfigDirectory(client, target.tables.config);
  return async (userId: string) => (await directory.getUser(userId))?.email;
}

/**
 * `from-export`: the applied records of one full export folded with any incremental exports
 * (shared/usage/export-fold.ts), written exactly as `export` writes the same records.
 */
async function fromExportCommand(args: string[], io: UsageCommandIo, context: RunContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...TARGET_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'csv' },
      out: { type: 'string' },
      's3-endpoint': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length === 0)
    throw new UsageError('from-export needs the folder (or s3:// prefix) of at least one full export.');
  if (values.format !== 'csv' && values.format !== 'jsonl')
    throw new UsageError('--format must be csv or jsonl.');
  const from = values.from === undefined ? undefined : parseBound(values.from, 'from');
  const to = values.to === undefined ? undefined : parseBound(values.to, 'to');
  if (from !== undefined && to !== undefined && to <= from)
    throw new UsageError('--to must come after --from.');
  const s3 = {
    ...(values.region
      ? { region: values.region }
      : context.env.AWS_REGION
        ? { region: context.env.AWS_REGION }
        : {}),
    ...(values['s3-endpoint'] ? { endpoint: values['s3-endpoint'] } : {}),
  };
  const fold = new UsageExportFold();
  let fullExports = 0;
  for (const location of positionals) {
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
  const target = resolveTarget(values, context.env);
  context.target = target;
  const client = createTargetClient(target);
  const requested = [
    values.from === undefined ? 'from the start' : `--from ${values.from}`,
    values.to === undefined ? 'to the end' : `--to ${values.to}`,
  ].join(' ');
  try {
    async function* records() {
      yield* fold.appliedRecords({
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      });
    }
    await writeUsageRecords(records(), {
      format: values.format,
      ...(values.out !== undefined ? { out: values.out } : {}),
      io,
      emailOf: userEmails(client, target),
      requested: `${requested}, ${positionals.length} export(s)`,
    });
  } finally {
    client.destroy();
  }
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
