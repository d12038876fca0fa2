/**
 * Prints the local-stack phases' figures (stack-phases.ts): the table of direct and `npm start`
 * rows, the verdict against the local stack's targets, the comparison with the gateway process
 * alone (full runs) and how Ctrl-C went.
 */
import { availableParallelism } from 'node:os';
import { table } from './report.ts';
import { type LocalStackFigures, STACK_TARGETS, type StackRow } from './stack-phases.ts';

const fixed = (value: number | undefined, digits = 1) =>
  value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : '—';

export function formatLocalStack(figures: LocalStackFigures): string {
  const direct = (row: StackRow) =>
    figures.rows.find(
      (other) =>
        other.target === 'direct' && other.mode === row.mode && other.concurrency === row.concurrency,
    );
  const withAdded = (row: StackRow, pick: (r: StackRow) => number) => {
    const base = direct(row);
    if (row.target === 'direct' || !base) return fixed(pick(row), 2);
    const added = pick(row) - pick(base);
    return `${fixed(pick(row), 2)} (${added >= 0 ? '+' : ''}${fixed(added, 2)})`;
  };
  const rows = figures.rows.map((row) => [
    `${row.mode} c=${row.concurrency} ${row.target === 'direct' ? 'direct (mock)' : 'npm start'}`,
    String(row.requests),
    String(row.failures),
    withAdded(row, (r) => r.ttfbMs.p50),
    withAdded(row, (r) => r.totalMs.p50),
    withAdded(row, (r) => r.totalMs.p99),
    fixed(row.requestsPerSecond, 0),
    fixed(row.cpuMsPerRequest, 2),
    row.cpuMsPerRequestByPart
      ? [
          row.cpuMsPerRequestByPart.main,
          row.cpuMsPerRequestByPart.dynalite,
          row.cpuMsPerRequestByPart.recorder,
        ]
          .map((ms) => fixed(ms, 1))
          .join(' / ')
      : '',
    row.target === 'stack' ? fixed(row.catchUpMs, 0) : '',
    fixed(row.sustainedRequestsPerSecond, 0),
  ]);
  const { stream, stop } = figures;
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  return [
    `Local stack as \`npm start\` runs it${figures.checkout === '.' ? '' : ` in ${figures.checkout}`} (${figures.processes} process${figures.processes === 1 ? '' : 'es'}, ` +
      `banner after ${fixed(figures.startMs, 0)} ms), against direct calls to the same mock; ms, req/s`,
    table(
      [
        'scenario',
        'n',
        'fail',
        'TTFB p50',
        'total p50',
        'total p99',
        'req/s',
        'CPU ms/req (all)',
        'main / dynalite / recorder',
        'catch-up ms',
        'sustained req/s',
      ],
      rows,
    ),
    `Stream: c=1 adds ${fixed(stream.addedP50Ms, 2)} ms at p50 (target ≤ ${STACK_TARGETS.streamAddedP50Ms}: ` +
      `${verdict(stream.addedP50Ms <= STACK_TARGETS.streamAddedP50Ms)}), ${fixed(stream.addedP99Ms, 2)} at p99; ` +
      `c=32 sustains ${fixed(stream.throughputShare * 100, 0)} % of direct throughput ` +
      `(target ≥ ${STACK_TARGETS.streamThroughputShare * 100} %: ${verdict(stream.throughputShare >= STACK_TARGETS.streamThroughputShare)})`,
    `What bounds c=32: the stack's processes spend ${fixed(stream.c32CpuMsPerRequest, 1)} ms of CPU per request, ` +
      `${fixed(stream.c32CpuBoundRequestsPerSecond, 0)} req/s on ${availableParallelism()} cores with nothing else running ` +
      `(the load client and the mock run on them too); ` +
      `${stream.c32BusiestPart.part} alone spends ${fixed(stream.c32BusiestPart.cpuMsPerRequest, 1)} ms, most of it on its one event loop ` +
      `(about ${fixed(stream.c32BusiestPart.boundRequestsPerSecond, 0)} req/s if all of it were); it sustained ${fixed(stream.c32SustainedRequestsPerSecond, 0)}`,
    ...(figures.gatewayAlone
      ? [
          `The gateway process alone in this run (stream, user with slots): c=1 adds ${fixed(figures.gatewayAlone.addedP50Ms, 2)} ms ` +
            `at p50, c=32 ${fixed(figures.gatewayAlone.c32RequestsPerSecond, 0)} req/s; the stack: ` +
            `${fixed(figures.gatewayAlone.stackAddedP50Ratio, 1)}× the added latency, ` +
            `${fixed(figures.gatewayAlone.stackThroughputRatio, 2)}× the throughput (sustained): within 2× of the gateway ` +
            `alone: ${verdict(figures.gatewayAlone.withinTwice)}`,
        ]
      : []),
    `Ctrl-C: exit ${stop.exitCode} after ${fixed(stop.stopMs, 0)} ms; ` +
      `${stop.leftovers.length === 0 ? 'no process left behind' : `LEFT BEHIND: ${stop.leftovers.join(', ')}`}`,
  ].join('\n');
}
