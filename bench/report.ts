/**
 * Prints the benchmark's figures as plain-text tables: latency against the direct baseline,
 * the gateway's cost per request (CPU, memory, DynamoDB), per-event delay of streams, the most
 * frequent DynamoDB sequences, and the budget check.
 */
import { BUDGETS, type BudgetCheck, type PhaseResult, type Scenario } from './phase-result.ts';
import type { Distribution } from './stats.ts';

const fixed = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const signed = (value: number) =>
  Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(2)}` : '—';

function label(result: Scenario): string {
  const target =
    result.target === 'direct'
      ? 'direct (mock)'
      : `gateway ${result.user}${result.cache ? ` ${result.cache}` : ''}`;
  return `${result.mode} c=${result.concurrency} ${target}`;
}

/** Plain-text columns: the first left-aligned, the rest right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

function baselineOf(results: readonly PhaseResult[], result: PhaseResult): PhaseResult | undefined {
  return results.find(
    (other) =>
      other.target === 'direct' && other.mode === result.mode && other.concurrency === result.concurrency,
  );
}

/** `value (+added)` for a gateway phase, `value` for the baseline. */
function withAdded(
  result: PhaseResult,
  base: PhaseResult | undefined,
  pick: (r: PhaseResult) => number,
): string {
  const value = pick(result);
  if (result.target === 'direct' || !base) return fixed(value);
  return `${fixed(value)} (${signed(value - pick(base))})`;
}

function latencyTable(results: readonly PhaseResult[]): string {
  const rows = results.map((result) => {
    const base = baselineOf(results, result);
    return [
      label(result),
      String(result.requests),
      String(result.failures),
      withAdded(result, base, (r) => r.ttfbMs.p50),
      withAdded(result, base, (r) => r.ttfbMs.p99),
      withAdded(result, base, (r) => r.totalMs.p50),
      withAdded(result, base, (r) => r.totalMs.p99),
      fixed(result.requestsPerSecond, 0),
    ];
  });
  return table(['scenario', 'n', 'fail', 'TTFB p50', 'TTFB p99', 'total p50', 'total p99', 'req/s'], rows);
}

function costTable(results: readonly PhaseResult[]): string {
  const rows = results.flatMap((result) => {
    const gateway = result.gateway;
    if (!gateway) return [];
    const dynamo = gateway.dynamo;
    const meanMax = (d: Distribution) => `${fixed(d.mean)} / ${fixed(d.max, 0)}`;
    return [
      [
        label(result),
        fixed(gateway.cpuMsPerRequest, 3),
        `${fixed(gateway.rssMb, 0)} / ${fixed(gateway.maxRssMb, 0)}`,
        fixed(gateway.heapAfterGcMb, 1),
        meanMax(dynamo.criticalPath),
        `${fixed(dynamo.roundTripsBeforeUpstream.p50, 0)} / ${fixed(dynamo.roundTripsBeforeUpstream.max, 0)}`,
        meanMax(dynamo.total),
        `${dynamo.warm.requests}: ${dynamo.warm.roundTripsMax} / ${dynamo.warm.totalMax}`,
        `${fixed(dynamo.beforeUpstreamMs.p50)} / ${fixed(dynamo.beforeUpstreamMs.p99)}`,
        fixed(dynamo.upstreamSendMs.p50),
        `${dynamo.newConnections.upstream} / ${dynamo.newConnections.dynamo}`,
        fixed(result.dynaliteCpuMsPerRequest, 3),
      ],
    ];
  });
  return table(
    [
      'scenario',
      'CPU ms/req',
      'RSS/peak MB',
      'heap MB',
      'DDB before upstream mean/max',
      'round trips p50/max',
      'DDB total mean/max',
      'warm n: max rt / total',
      'ms to upstream p50/p99',
      'upstream send p50',
      'new conns upstream/DDB',
      'dynalite CPU ms/req',
    ],
    rows,
  );
}

function eventDelayTable(results: readonly PhaseResult[]): string {
  const rows = results.flatMap((result) => {
    if (!result.eventDelayMs) return [];
    const base = baselineOf(results, result);
    const pick = (key: 'p50' | 'p99') => (r: PhaseResult) => r.eventDelayMs?.[key] ?? Number.NaN;
    return [
      [
        label(result),
        String(result.eventDelayMs.n),
        withAdded(result, base, pick('p50')),
        withAdded(result, base, pick('p99')),
        fixed(result.eventDelayMs.max),
      ],
    ];
  });
  return table(['scenario', 'events', 'delay p50', 'delay p99', 'max'], rows);
}

function patternLines(results: readonly PhaseResult[]): string {
  return results
    .flatMap((result) => {
      const dynamo = result.gateway?.dynamo;
      if (!dynamo) return [];
      const lines = dynamo.patterns
        .slice(0, 3)
        .map((entry) => `    ${String(entry.count).padStart(5)} × ${entry.pattern}`);
      const mix = Object.entries(dynamo.perRequest)
        .sort((a, b) => b[1] - a[1])
        .map(([name, mean]) => `${name} ${fixed(mean)}`)
        .join(', ');
      return [
        `  ${label(result)}${dynamo.background ? ` (${dynamo.background} outside requests)` : ''}`,
        `    per request: ${fixed(dynamo.readsPerRequest)} reads, ${fixed(dynamo.writesPerRequest)} writes (${mix})`,
        ...lines,
      ];
    })
    .join('\n');
}

export function formatReport(results: readonly PhaseResult[], budget: BudgetCheck, heading: string): string {
  const gatewayLogs = results.reduce((sum, result) => sum + (result.gateway?.logLines ?? 0), 0);
  const metricLines = results.map((result) => result.gateway?.metricLinesPerRequest ?? 0);
  return [
    heading,
    '',
    'Latency, ms (gateway rows: value (added over direct)); req/s = completed requests per second',
    latencyTable(results),
    '',
    'Gateway cost per request (DDB = DynamoDB requests; round trips = sequential waves before the upstream request)',
    costTable(results),
    '',
    'Streams: per-event delay, ms (mock wrote the SSE event → client received it)',
    eventDelayTable(results),
    '',
    'DynamoDB sequences per request (before upstream, waves joined by →; | after: the rest), most frequent first',
    patternLines(results),
    '',
    `Budget (c=1, user with slots; cold config cache: ≤ ${BUDGETS.cold.roundTripsBeforeUpstream} round trips before upstream, ` +
      `≤ ${BUDGETS.cold.requestsInAll} DynamoDB requests in all; warm: ≤ ${BUDGETS.warm.roundTripsBeforeUpstream} / ≤ ${BUDGETS.warm.requestsInAll}): ` +
      `cold ${budget.cold.pass ? 'PASS' : 'FAIL'} (a new instance's first request ${budget.newInstance.pass ? 'PASS' : 'FAIL'}), ` +
      `warm ${budget.warm.pass ? 'PASS' : 'FAIL'}`,
    ...budget.lines.map((line) => `  ${line}`),
    '',
    `The gateway logged ${gatewayLogs} lines (WARN or above) during the phases, and wrote ` +
      `${fixed(Math.max(...metricLines))} embedded-metric lines per request at most.`,
  ].join('\n');
}
