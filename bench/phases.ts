/**
 * The bench's phases against a started {@link BenchWorld}: the warm-up, one measured phase (one
 * scenario's load, then the CPU, memory and DynamoDB figures the children report for it) and the
 * large-answer transfers.
 *
 * @example
 * ```ts
 * const phases = createPhases(world);
 * await phases.warmUp();
 * const row = await phases.run({ mode: 'stream', concurrency: 1, target: 'gateway', user: 'slots' });
 * ```
 */

import type { TokenUsage } from '#shared/events/usage-event.ts';
import { FUNCTION_URL_PAYLOAD_LIMIT_BYTES } from '#shared/settings.ts';
import type { ProcessUsage } from './ipc.ts';
import { type BilledUsage, measureTransfer, type TransferResult } from './large-transfer.ts';
import { type LoadPlan, type LoadResult, type RequestSample, runLoad } from './load.ts';
import { MIB, MODES, options, SIZES, USERS } from './options.ts';
import type { LoadFigures, PhaseResult, Scenario } from './phase-result.ts';
import type { DynamoSummary } from './request-trace.ts';
import { distribution } from './stats.ts';
import type { BenchWorld } from './world.ts';

export interface BenchPhases {
  /** JIT and caches warm before anything is measured. */
  warmUp(): Promise<void>;
  run(scenario: Scenario): Promise<PhaseResult>;
  /** The large answers, direct and through the gateway; none when `--large-text-mb 0`. */
  largeTransfers(): Promise<TransferResult[]>;
}

/** A prompt that fills the largest body a Function URL accepts, less room for the JSON around it. */
const CUT_PROMPT = 'The gateway relayed line 42 of the log; nothing was lost. '
  .repeat(FUNCTION_URL_PAYLOAD_LIMIT_BYTES / 58)
  .slice(0, FUNCTION_URL_PAYLOAD_LIMIT_BYTES - 1024);

export function createPhases(world: BenchWorld): BenchPhases {
  const { gateway, dynamo, mock, events, agent } = world;
  const plan = (
    scenario: Scenario,
    idPrefix: string,
    requests: number,
    sessionPrefix?: string,
  ): LoadPlan => ({
    url: scenario.target === 'gateway' ? world.gatewayUrl : world.mockUrl,
    apiKey: scenario.user ? world.keys[scenario.user] : 'sk-bench-direct',
    stream: scenario.mode === 'stream',
    concurrency: scenario.concurrency,
    requests,
    maxMs: SIZES.maxMs,
    idPrefix,
    ...(sessionPrefix ? { sessionPrefix } : {}),
    sessions: options.sessions,
    inputBytes: options.inputKb * 1024,
  });

  return {
    // One request at a time, as a Lambda instance serves them, so the memory figures of the c=1
    // phases (run first) are a Lambda's; each phase warms its own connections.
    async warmUp() {
      for (const user of USERS) {
        for (const mode of MODES) {
          const warm = { mode, concurrency: 1, target: 'gateway', user } as const;
          await runLoad(plan(warm, `warmup-${user}-${mode}`, SIZES.warmup / 2), agent);
          await runLoad(
            plan({ ...warm, target: 'direct' }, `warmup-direct-${mode}`, SIZES.warmup / 4),
            agent,
          );
        }
      }
    },

    async run(scenario) {
      const name = `${scenario.mode}-c${scenario.concurrency}-${scenario.user ?? 'direct'}${scenario.cache ? `-${scenario.cache}` : ''}`;
      await gateway.call('coldConfig', scenario.cache === 'cold');
      // The warm-up opens the phase's conversations; the measured requests are their later turns.
      await runLoad(plan(scenario, `${name}-warm`, SIZES.phaseWarmup, name), agent);
      await Promise.all([mock.call('reset'), gateway.call('reset'), events.call('reset')]);
      // Cold, the first measured request is a new instance's first: its credentials are not held.
      if (scenario.cache === 'cold') await gateway.call('newInstance');
      const outputBefore = gateway.output();
      const usage = () =>
        Promise.all([gateway, dynamo, mock].map((child) => child.call<ProcessUsage>('usage')));
      const indexWrites = () => dynamo.call<number>('indexWrites');
      const [before, indexBefore] = await Promise.all([usage(), indexWrites()]);
      const load = await runLoad(
        plan(scenario, name, SIZES.requests[scenario.concurrency as 1 | 32], name),
        agent,
      );
      const [after, indexAfter] = await Promise.all([usage(), indexWrites()]);
      const dynamoSummary =
        scenario.target === 'gateway' ? await gateway.call<DynamoSummary>('traces') : undefined;
      const heapAfterGc = scenario.target === 'gateway' ? await gateway.call<number>('heapAfterGc') : 0;
      const frames =
        scenario.mode === 'stream' ? await mock.call<Record<string, number[]>>('frameTimes') : {};
      const n = load.samples.length;
      const cpuPerRequest = (index: number) =>
        ((after[index]?.cpuMs ?? 0) - (before[index]?.cpuMs ?? 0)) / Math.max(1, n);
      const gatewayUsage = after[0] as ProcessUsage;
      if (scenario.cache === 'cold') await gateway.call('coldConfig', false);
      return {
        ...scenario,
        ...loadFigures(load, scenario.mode === 'stream' ? frames : undefined),
        dynaliteCpuMsPerRequest: cpuPerRequest(1),
        mockCpuMsPerRequest: cpuPerRequest(2),
        ...(dynamoSummary
          ? {
              gatewayCpuMsPerRequest: cpuPerRequest(0),
              gateway: {
                cpuMsPerRequest: cpuPerRequest(0),
                rssMb: gatewayUsage.rssBytes / MIB,
                maxRssMb: gatewayUsage.maxRssBytes / MIB,
                heapAfterGcMb: heapAfterGc / MIB,
                dynamo: dynamoSummary,
                indexWritesPerRequest: (indexAfter - indexBefore) / Math.max(1, n),
                logLines: gateway.output().count - outputBefore.count,
                metricLinesPerRequest:
                  (gateway.output().metricLines - outputBefore.metricLines) / Math.max(1, n),
              },
            }
          : {}),
      };
    },

    async largeTransfers() {
      if (options.largeTextMb <= 0) return [];
      const behaviour = { kind: 'ok', textBytes: options.largeTextMb * MIB, deltaBytes: 16 * 1024 };
      await mock.call('setBehaviour', behaviour);
      const results: TransferResult[] = [];
      // First, while the token counter is not loaded yet: a client sends the largest prompt a
      // Function URL accepts and leaves after 1 MB of the stream, so the gateway loads the counter
      // and counts it all (6 MB of body, 512 Ki characters of text) before it can bill.
      await Promise.all([gateway.call('reset'), events.call('reset')]);
      const billed = async (): Promise<BilledUsage> => {
        const left = performance.now();
        for (let tries = 0; tries < 2400; tries++) {
          const published = await events.call<{ events: number; usage?: TokenUsage }>('published');
          if (published.events > 0 && published.usage) {
            const { inputTokens, outputTokens } = published.usage;
            return { inputTokens, outputTokens, ms: performance.now() - left };
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error('the cut-short stream was not billed within 120 s');
      };
      results.push(
        await measureTransfer({
          url: world.gatewayUrl,
          apiKey: world.keys.unlimited,
          stream: true,
          agent,
          input: CUT_PROMPT,
          cut: { afterBytes: MIB, billed },
          sampleRss: () => gateway.call<ProcessUsage>('usage'),
        }),
      );
      const answers = [
        { stream: true, api: 'responses' },
        { stream: false, api: 'responses' },
        { stream: true, api: 'chat' },
      ] as const;
      for (const { stream, api } of answers) {
        results.push(
          await measureTransfer({ url: world.mockUrl, apiKey: 'sk-bench-direct', stream, api, agent }),
        );
        await gateway.call<number>('heapAfterGc');
        results.push(
          await measureTransfer({
            url: world.gatewayUrl,
            apiKey: world.keys.unlimited,
            stream,
            api,
            agent,
            sampleRss: () => gateway.call<ProcessUsage>('usage'),
          }),
        );
      }
      await mock.call('reset');
      return results;
    },
  };
}

/** The latency and rate figures of one load; with the mock's frame times, its per-event delays. */
export function loadFigures(load: LoadResult, frames?: Record<string, number[]>): LoadFigures {
  const n = load.samples.length;
  return {
    requests: n,
    failures: load.failures.length,
    failureSamples: load.failures.slice(0, 3),
    elapsedMs: load.elapsedMs,
    requestsPerSecond: n / (load.elapsedMs / 1000),
    ttfbMs: distribution(load.samples.map((sample) => sample.ttfbMs)),
    totalMs: distribution(load.samples.map((sample) => sample.totalMs)),
    ...(frames ? { eventDelayMs: distribution(eventDelays(load.samples, frames)) } : {}),
  };
}

/** For each request: client arrival minus mock write, event by event. */
function eventDelays(samples: readonly RequestSample[], frames: Record<string, number[]>): number[] {
  return samples.flatMap((sample) => {
    const written = frames[sample.id] ?? [];
    const count = Math.min(written.length, sample.eventTimes.length);
    return Array.from({ length: count }, (_, i) => (sample.eventTimes[i] as number) - (written[i] as number));
  });
}
