/**
 * What the scheduled export function does on each run: from the Usage table's exports to the
 * stack's bucket (what `DescribeExport` says of each), decide which export to start, if any, and
 * how far the finished exports reach.
 *
 * - No full export yet (none running or completed): start one, at the current time.
 * - Then incremental exports (`INCREMENTAL_EXPORT`, `NEW_AND_OLD_IMAGES`) chained from where the
 *   last one ends, each up to the next UTC midnight: the first closes the full export's day, every
 *   later one is exactly the previous UTC day. A window starts only once it is 15 minutes in the
 *   past (DynamoDB wants its end behind the table's latest restorable time) and is at least 15
 *   minutes long (DynamoDB's minimum); at most one export starts per run, so a stack that was down
 *   for days catches up one day per run.
 * - A failed export's window is started again on the next run, with a new client token; the
 *   token otherwise repeats, so a run retried by the scheduler does not start a second export.
 *
 * The plan is computed here, apart from the SDK, so every rule above is tested without AWS.
 *
 * @example
 * ```ts
 * const plan = planExports(await exports.list(), Date.now());
 * if (plan.start) await exports.start(plan.start);
 * ```
 */
import type { ExportInfo, ExportRequest, TableExports } from '../store/table-exports.ts';

export interface ExportPlan {
  start: ExportRequest | undefined;
  /** The end of the time the completed exports cover without a gap; `undefined` before the first full one. */
  coveredUntil: number | undefined;
  /** Hours from `coveredUntil` (else from the full export's request, else 0) to now. */
  lagHours: number;
  /** Failed exports whose window no running or completed export has taken over. */
  unresolvedFailures: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** DynamoDB's shortest incremental window. */
export const MIN_WINDOW_MS = 15 * MINUTE;
/** How far behind now a window must end before it is exported. */
export const SETTLE_MS = 15 * MINUTE;

const live = (info: ExportInfo) => info.status !== 'FAILED';

function windowKey(info: Pick<ExportInfo, 'type' | 'from' | 'to'>): string {
  return info.type === 'FULL_EXPORT' ? 'full' : `${info.from}-${info.to}`;
}

/** Where a chain of exports reaches: from `start`, through every export that begins where it ends. */
function chainEnd(start: number, incrementals: ExportInfo[]): number {
  const byFrom = new Map(incrementals.map((info) => [info.from, info.to ?? start]));
  let end = start;
  for (let next = byFrom.get(end); next !== undefined && next > end; next = byFrom.get(end)) end = next;
  return end;
}

/** The window after `from`: up to the next UTC midnight, stretched to DynamoDB's minimum. */
export function nextWindow(from: number): { from: number; to: number } {
  const midnight = Math.floor(from / DAY) * DAY + DAY;
  return { from, to: midnight - from >= MIN_WINDOW_MS ? midnight : from + MIN_WINDOW_MS };
}

function token(request: Pick<ExportInfo, 'type' | 'from' | 'to'>, failures: number): string {
  const window =
    request.type === 'FULL_EXPORT'
      ? 'full'
      : `${new Date(request.from ?? 0).toISOString()}-${new Date(request.to ?? 0).toISOString()}`;
  return `quotagate-${window.replaceAll(':', '')}-${failures}`;
}

export function planExports(exports: readonly ExportInfo[], now: number): ExportPlan {
  const failuresOf = (key: string) =>
    exports.filter((info) => info.status === 'FAILED' && windowKey(info) === key).length;
  const unresolvedFailures = new Set(
    exports
      .filter((info) => info.status === 'FAILED')
      .map(windowKey)
      .filter((key) => !exports.some((info) => live(info) && windowKey(info) === key)),
  ).size;
  const fulls = exports.filter((info) => info.type === 'FULL_EXPORT' && live(info));
  const incrementals = exports.filter((info) => info.type === 'INCREMENTAL_EXPORT');
  const completedFull = fulls.find((info) => info.status === 'COMPLETED' && info.exportTime !== undefined);
  const coveredUntil =
    completedFull?.exportTime === undefined
      ? undefined
      : chainEnd(
          completedFull.exportTime,
          incrementals.filter((info) => info.status === 'COMPLETED'),
        );
  const since = coveredUntil ?? fulls[0]?.startTime ?? now;
  const lagHours = Math.max(0, now - since) / 3_600_000;

  const full = completedFull ?? fulls[0];
  let start: ExportRequest | undefined;
  if (!full) {
    start = { type: 'FULL_EXPORT', clientToken: token({ type: 'FULL_EXPORT' }, failuresOf('full')) };
  } else if (full.exportTime !== undefined) {
    const window = nextWindow(chainEnd(full.exportTime, incrementals.filter(live)));
    if (window.to <= now - SETTLE_MS) {
      const request = { type: 'INCREMENTAL_EXPORT', ...window } as const;
      start = { ...request, clientToken: token(request, failuresOf(windowKey(request))) };
    }
  }
  return { start, coveredUntil, lagHours, unresolvedFailures };
}

/** The metrics the export alarms watch (namespace `Quotagate`, dimension `service`). */
export const USAGE_EXPORT_METRICS = {
  /** Hours the completed exports are behind now; above a day and a bit means one is missing. */
  lagHours: 'UsageExportLagHours',
  /** Failed exports not yet started again. */
  failures: 'UsageExportFailures',
} as const;

export const USAGE_EXPORT_SERVICE = 'usage-export';

/** One scheduled run: plans and starts at most one export; returns the plan and what started. */
export async function runScheduledExport(
  exports: TableExports,
  now: number,
): Promise<ExportPlan & { startedArn: string | undefined }> {
  const plan = planExports(await exports.list(), now);
  const startedArn = plan.start ? await exports.start(plan.start) : undefined;
  return { ...plan, startedArn };
}
