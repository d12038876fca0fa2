/**
 * `quotagate usage replay-parked` and `usage sweep-pending`: the recorder's repairs, run by hand.
 *
 * - `replay-parked` records the usage events the gateway had to park because EventBridge refused
 *   them, then removes them from the parking.
 * - `sweep-pending [--days n]` finishes the usage records left `pending` whose event was lost and
 *   records as `lost` the requests a dead gateway left `started`, however old, as the recorder's
 *   schedule does; a record a live delivery still holds is left to it. `--days n` also reads, for
 *   today and the `n` days before it, the day listings of records an older deployment wrote (they
 *   are not in the `pending` index).
 *
 * Both run the recorder on the tables (the admin API offers neither), so `--api` is refused. Both
 * print what they did, and exit 1 when something is still left undone.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { SweepSummary } from '#shared/recorder/pending-sweep.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { type CommandContext, defineCommand, UsageError } from '../command.ts';

function recorderOn(context: CommandContext) {
  const { client, tables } = context.tables();
  const logger = new Logger({ serviceName: 'quotagate-cli', logLevel: 'ERROR' });
  return createRecorderRuntime({ tables, client, logger });
}

/** Prints what was done, then fails when `left` is more than nothing. */
function finish(context: CommandContext, done: string, left: number, what: string): void {
  if (left === 0) return;
  context.io.stdout.write(`${done}\n`);
  throw new Error(`${left} ${what}; see the errors above.`);
}

const replaySummary = (result: { recorded: number; failed: number }) =>
  `Recorded ${result.recorded} parked usage event(s); ${result.failed} could not be recorded.`;

export const replayParkedCommand = defineCommand<{ recorded: number; failed: number }>({
  name: 'replay-parked',
  summary: 'Record the usage events the gateway parked when EventBridge refused them (tables only)',
  flags: { limit: { type: 'string', value: 'n', description: 'Stop after about this many events' } },
  examples: ['quotagate usage replay-parked --region eu-west-1 --stage prod'],
  async run(_api, input, context) {
    const text = input.optionalText('limit');
    const limit = text === undefined ? Number.MAX_SAFE_INTEGER : Number(text);
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new UsageError('--limit must be a positive integer.');
    const runtime = recorderOn(context);
    const result = { recorded: 0, failed: 0 };
    for (;;) {
      const summary = await runtime.drainParked();
      result.recorded += summary.recorded;
      result.failed += summary.failed;
      // Stop when the parking is empty, or when every event left keeps failing.
      if (!summary.more || summary.recorded === 0 || result.recorded + result.failed >= limit) break;
    }
    finish(context, replaySummary(result), result.failed, 'parked usage event(s) are still parked');
    return result;
  },
  render: replaySummary,
});

const sweepSummary = (summary: SweepSummary) =>
  `Finished ${summary.completed} stranded usage record(s); recorded ${summary.lost} request(s) ` +
  `the gateway never finished as lost; ${summary.skipped} left to a live delivery; ` +
  `${summary.failed} could not be finished.`;

export const sweepPendingCommand = defineCommand<SweepSummary>({
  name: 'sweep-pending',
  summary:
    'Finish usage records whose event was lost, however old, as the recorder schedule does (tables only)',
  flags: {
    days: {
      type: 'string',
      value: 'n',
      description:
        'Also the records an older deployment wrote (not in the pending index), of today and the n days before',
    },
  },
  examples: ['quotagate usage sweep-pending --days 7 --region eu-west-1 --stage prod'],
  async run(_api, input, context) {
    const text = input.optionalText('days');
    const days = text === undefined ? 0 : Number(text);
    if (!Number.isSafeInteger(days) || days < 0)
      throw new UsageError('--days must be 0 or a positive integer.');
    const summary = await recorderOn(context).sweepPending(days > 0 ? { legacyDays: days } : {});
    finish(context, sweepSummary(summary), summary.failed, 'usage record(s) are still pending');
    return summary;
  },
  render: sweepSummary,
});
