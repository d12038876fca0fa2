/**
 * The local stack against the gateway process alone from the same full run (stack-phases.ts
 * measures the stack; run.ts joins the two).
 */
import type { PhaseResult } from './phase-result.ts';

/**
 * The gateway process alone beside the stack: its stream figures (user with slots) and the stack's
 * against them, the fair reading of the stack's throughput (the mock alone answers several times
 * what any gateway on the same cores can): within 2× means at most twice the added latency at c=1
 * and at least half the requests per second at c=32.
 */
export interface GatewayAlone {
  addedP50Ms: number;
  c32RequestsPerSecond: number;
  /** The stack's added p50 at c=1 over the gateway's alone. */
  stackAddedP50Ratio: number;
  /** The stack's sustained c=32 throughput over the gateway's alone. */
  stackThroughputRatio: number;
  withinTwice: boolean;
}

/** The gateway-alone figures the stack is compared with, from the gateway phases of a full run. */
export function gatewayAloneOf(
  results: readonly PhaseResult[],
  stack: { addedP50Ms: number; c32SustainedRequestsPerSecond: number },
): GatewayAlone | undefined {
  const find = (target: PhaseResult['target'], concurrency: number) =>
    results.find(
      (result) =>
        result.mode === 'stream' &&
        result.concurrency === concurrency &&
        result.target === target &&
        !result.cache &&
        (target === 'direct' || result.user === 'slots'),
    );
  const [direct1, gateway1, gateway32] = [find('direct', 1), find('gateway', 1), find('gateway', 32)];
  if (!direct1 || !gateway1 || !gateway32) return undefined;
  const addedP50Ms = gateway1.totalMs.p50 - direct1.totalMs.p50;
  const c32RequestsPerSecond = gateway32.requestsPerSecond;
  const stackAddedP50Ratio = stack.addedP50Ms / addedP50Ms;
  const stackThroughputRatio = stack.c32SustainedRequestsPerSecond / c32RequestsPerSecond;
  return {
    addedP50Ms,
    c32RequestsPerSecond,
    stackAddedP50Ratio,
    stackThroughputRatio,
    withinTwice: stackAddedP50Ratio <= 2 && stackThroughputRatio >= 0.5,
  };
}
