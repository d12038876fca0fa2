/**
 * The figures of one benchmark phase (one scenario against one target), as the bench stores them
 * in `bench/results/latest.json` and prints them, and the DynamoDB budget check of the issue:
 * warm and uncontended, at most 3 sequential round trips before the upstream request starts and
 * at most 8 DynamoDB requests in all per gateway request.
 */
import type { DynamoSummary } from './request-trace.ts';
import type { Distribution } from './stats.ts';

export type Mode = 'non-stream' | 'stream';
export type BenchUser = 'slots' | 'unlimited';

export interface Scenario {
  mode: Mode;
  concurrency: number;
  target: 'direct' | 'gateway';
  /** Gateway phases: whose key was used. */
  user?: BenchUser;
}

export interface PhaseResult extends Scenario {
  requests: number;
  failures: number;
  /** The first few failure messages. */
  failureSamples: string[];
  elapsedMs: number;
  requestsPerSecond: number;
  ttfbMs: Distribution;
  totalMs: Distribution;
  /** Streams: mock wrote an SSE event → client received it. */
  eventDelayMs?: Distribution;
  /** CPU of the DynamoDB (dynalite) and mock processes per request, for context. */
  dynaliteCpuMsPerRequest: number;
  mockCpuMsPerRequest: number;
  gateway?: {
    cpuMsPerRequest: number;
    rssMb: number;
    maxRssMb: number;
    /** Live heap after a forced full GC at the end of the phase. */
    heapAfterGcMb: number;
    dynamo: DynamoSummary;
    /** Lines the gateway process logged during the phase (WARN and above). */
    logLines: number;
    /** CloudWatch embedded-metric lines written per request (they cost CPU too). */
    metricLinesPerRequest: number;
  };
}

export const BUDGET = { roundTripsBeforeUpstream: 3, requestsInAll: 8 } as const;

export interface BudgetCheck {
  pass: boolean;
  /** One line per phase checked. */
  lines: string[];
}

/** Checks the warm requests of the gateway phases at concurrency 1 for the user with slots. */
export function checkBudget(results: readonly PhaseResult[]): BudgetCheck {
  const checked = results.filter(
    (result) => result.target === 'gateway' && result.user === 'slots' && result.concurrency === 1,
  );
  const lines = checked.map((result) => {
    const dynamo = result.gateway?.dynamo;
    if (!dynamo || dynamo.warm.requests === 0) return `${result.mode} c=1: FAIL (no warm request traced)`;
    const ok =
      dynamo.warm.roundTripsMax <= BUDGET.roundTripsBeforeUpstream &&
      dynamo.warm.totalMax <= BUDGET.requestsInAll;
    return (
      `${result.mode} c=1: ${ok ? 'PASS' : 'FAIL'} — ${dynamo.warm.requests} warm requests, at most ` +
      `${dynamo.warm.roundTripsMax} round trips (${dynamo.warm.criticalPathMax} requests) before upstream, ` +
      `${dynamo.warm.totalMax} in all`
    );
  });
  return { pass: lines.length > 0 && lines.every((line) => line.includes('PASS')), lines };
}
