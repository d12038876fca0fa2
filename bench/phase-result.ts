/**
 * The figures of one benchmark phase (one scenario against one target), as the bench stores them
 * in `bench/results/latest.json` and prints them, and the DynamoDB budgets per gateway request,
 * one request at a time for the user with slots: with the config cache expired (every request of
 * a Lambda instance that streams for ~20 s finds it so) at most 3 sequential round trips before
 * the upstream request starts and 8 DynamoDB requests in all; with it warm, 2 and 8.
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
  /** `cold`: the gateway's config cache is emptied before every request. */
  cache?: 'cold';
}

/** What one load tells, whatever it was sent to (see `loadFigures`). */
export interface LoadFigures {
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
}

export interface PhaseResult extends Scenario, LoadFigures {
  /** CPU of the DynamoDB (dynalite) and mock processes per request, for context. */
  dynaliteCpuMsPerRequest: number;
  mockCpuMsPerRequest: number;
  /** Gateway rows: the gateway process's CPU per request (also under `gateway`). */
  gatewayCpuMsPerRequest?: number;
  gateway?: {
    cpuMsPerRequest: number;
    rssMb: number;
    maxRssMb: number;
    /** Live heap after a forced full GC at the end of the phase. */
    heapAfterGcMb: number;
    dynamo: DynamoSummary;
    /** Index write units DynamoDB bills per request for the phase's writes (index-writes.ts). */
    indexWritesPerRequest: number;
    /** Lines the gateway process logged during the phase (WARN and above). */
    logLines: number;
    /** CloudWatch embedded-metric lines written per request (they cost CPU too). */
    metricLinesPerRequest: number;
  };
}

export const BUDGETS = {
  cold: { roundTripsBeforeUpstream: 3, requestsInAll: 8 },
  warm: { roundTripsBeforeUpstream: 2, requestsInAll: 8 },
} as const;

/** One budget's verdict, as `bench/results/latest.json` holds it. */
export interface BudgetVerdict {
  /** Gateway requests checked. */
  requests: number;
  maxRoundTripsBeforeUpstream: number;
  maxRequests: number;
  pass: boolean;
}

export interface BudgetCheck {
  cold: BudgetVerdict;
  warm: BudgetVerdict;
  /** The first request of each cold phase, a new instance's (no credentials held), on the cold budget. */
  newInstance: BudgetVerdict;
  pass: boolean;
  /** One line per phase checked. */
  lines: string[];
}

function verdict(
  checked: { requests: number; roundTrips: number; total: number }[],
  budget: { roundTripsBeforeUpstream: number; requestsInAll: number },
): BudgetVerdict {
  const requests = checked.reduce((sum, phase) => sum + phase.requests, 0);
  const maxRoundTripsBeforeUpstream = Math.max(0, ...checked.map((phase) => phase.roundTrips));
  const maxRequests = Math.max(0, ...checked.map((phase) => phase.total));
  return {
    requests,
    maxRoundTripsBeforeUpstream,
    maxRequests,
    pass:
      requests > 0 &&
      maxRoundTripsBeforeUpstream <= budget.roundTripsBeforeUpstream &&
      maxRequests <= budget.requestsInAll,
  };
}

/**
 * Cold: every request of the cold-cache phases (user with slots, c=1); new instance: the first of
 * each, which the phase serves on a new instance. Warm: the requests of the c=1 phases of the user
 * with slots that read no Config item.
 */
export function checkBudget(results: readonly PhaseResult[]): BudgetCheck {
  const slotsC1 = results.filter(
    (result) => result.target === 'gateway' && result.user === 'slots' && result.concurrency === 1,
  );
  const lines: string[] = [];
  const cold = slotsC1.flatMap((result) => {
    const dynamo = result.gateway?.dynamo;
    if (result.cache !== 'cold' || !dynamo) return [];
    const phase = {
      requests: dynamo.reachedUpstream,
      roundTrips: dynamo.roundTripsBeforeUpstream.max,
      total: dynamo.total.max,
    };
    const ok = verdict([phase], BUDGETS.cold).pass;
    lines.push(
      `cold ${result.mode} c=1: ${ok ? 'PASS' : 'FAIL'} — ${phase.requests} requests, at most ${phase.roundTrips} round trips ` +
        `(${dynamo.criticalPath.max} requests) before upstream, ${phase.total} in all` +
        (dynamo.first
          ? `; the first, a new instance's: ${dynamo.first.roundTrips} round trips, ${dynamo.first.total} in all`
          : ''),
    );
    return [phase];
  });
  const warm = slotsC1.flatMap((result) => {
    const dynamo = result.gateway?.dynamo;
    if (result.cache === 'cold' || !dynamo) return [];
    const phase = {
      requests: dynamo.warm.requests,
      roundTrips: dynamo.warm.roundTripsMax,
      total: dynamo.warm.totalMax,
    };
    const ok = verdict([phase], BUDGETS.warm).pass;
    lines.push(
      `warm ${result.mode} c=1: ${ok ? 'PASS' : 'FAIL'} — ${phase.requests} warm requests, at most ${phase.roundTrips} round trips ` +
        `(${dynamo.warm.criticalPathMax} requests) before upstream, ${phase.total} in all`,
    );
    return [phase];
  });
  const firsts = slotsC1.flatMap((result) => {
    const first = result.cache === 'cold' ? result.gateway?.dynamo.first : undefined;
    return first ? [{ requests: 1, roundTrips: first.roundTrips, total: first.total }] : [];
  });
  const coldVerdict = verdict(cold, BUDGETS.cold);
  const warmVerdict = verdict(warm, BUDGETS.warm);
  const newInstance = verdict(firsts, BUDGETS.cold);
  return {
    cold: coldVerdict,
    warm: warmVerdict,
    newInstance,
    pass: coldVerdict.pass && warmVerdict.pass && newInstance.pass,
    lines,
  };
}
