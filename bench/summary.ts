/**
 * The bench's figures beside the phase tables: the recorder's DynamoDB requests, the gateway
 * bundle and tokenizer, the cost per million requests, and the commit they were measured on —
 * printed as lines under the tables and gathered into `bench/results/latest.json`.
 */
import { execFileSync } from 'node:child_process';
import { GATEWAY_MEMORY_MB, RECORDER_MEMORY_MB } from '../infra/function-memory.ts';
import type { BundleFigures, measureTokenizer } from './bundle.ts';
import { costPerMillion, PRICES } from './cost.ts';
import type { BenchChild } from './ipc.ts';
import type { PhaseResult } from './phase-result.ts';

/**
 * The recorder's DynamoDB requests per usage event, as gateway-process.ts counts them, and the
 * index write units they cause, as the DynamoDB process counts them (index-writes.ts).
 */
export interface RecorderFigures {
  events: number;
  writesPerEvent: number;
  readsPerEvent: number;
  indexWritesPerEvent: number;
  /** The same per `<table>/<index>`, to see which writes they are. */
  indexWritesPerEventByIndex: Record<string, number>;
}

/** Runs the recorder over up to `limit` of the last phase's usage events and counts its writes. */
export async function measureRecorder(
  world: { gateway: BenchChild; dynamo: BenchChild; events: BenchChild },
  limit: number,
): Promise<RecorderFigures> {
  const counted = () => world.dynamo.call<Record<string, number>>('indexWritesByIndex');
  const envelopes = await world.events.call<unknown[]>('events', limit);
  const before = await counted();
  const figures = await world.gateway.call<{ events: number; writesPerEvent: number; readsPerEvent: number }>(
    'recordEvents',
    envelopes,
  );
  const after = await counted();
  const perEvent = (units: number) => units / Math.max(1, figures.events);
  const byIndex = Object.fromEntries(
    Object.entries(after)
      .map(([index, units]) => [index, perEvent(units - (before[index] ?? 0))] as const)
      .filter(([, units]) => units > 0),
  );
  const indexWritesPerEvent = Object.values(byIndex).reduce((sum, units) => sum + units, 0);
  return { ...figures, indexWritesPerEvent, indexWritesPerEventByIndex: byIndex };
}

export type TokenizerFigures = Awaited<ReturnType<typeof measureTokenizer>>;
export type CostFigures = ReturnType<typeof costFigures>;

const fixed = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(1));

/**
 * Cost per million at the stack's memory size: the stream c=1 phase of the user with slots gives
 * the gateway's added time, DynamoDB requests (warm, so its reads are few) and index writes, the
 * recorder's figures are added.
 */
export function costFigures(results: readonly PhaseResult[], recorder: RecorderFigures | undefined) {
  const find = (target: PhaseResult['target']) =>
    results.find(
      (result) =>
        result.target === target &&
        result.mode === 'stream' &&
        result.concurrency === 1 &&
        !result.cache &&
        (target === 'direct' || result.user === 'slots'),
    );
  const gateway = find('gateway');
  const direct = find('direct');
  const dynamo = gateway?.gateway?.dynamo;
  const input = {
    gatewayMemoryMb: GATEWAY_MEMORY_MB,
    recorderMemoryMb: RECORDER_MEMORY_MB,
    gatewayOverheadMs: Math.max(0, (gateway?.totalMs.p50 ?? 0) - (direct?.totalMs.p50 ?? 0)),
    writes: (dynamo?.writesPerRequest ?? 0) + (recorder?.writesPerEvent ?? 0),
    indexWrites: (gateway?.gateway?.indexWritesPerRequest ?? 0) + (recorder?.indexWritesPerEvent ?? 0),
    reads: (dynamo?.readsPerRequest ?? 0) + (recorder?.readsPerEvent ?? 0),
  };
  return {
    memoryMb: GATEWAY_MEMORY_MB,
    writeUnitsPerRequest: input.writes + input.indexWrites,
    indexWritesPerRequest: input.indexWrites,
    gatewayIndexWritesPerRequest: gateway?.gateway?.indexWritesPerRequest ?? 0,
    stream2sUsd: costPerMillion({ ...input, streamSeconds: 2 }),
    stream20sUsd: costPerMillion({ ...input, streamSeconds: 20 }),
  };
}

/** The lines printed under the phase tables. */
export function formatExtras(figures: {
  recorder: RecorderFigures | undefined;
  bundle: BundleFigures;
  tokenizer: TokenizerFigures;
  costs: CostFigures;
}): string {
  const { recorder, bundle, tokenizer, costs } = figures;
  return [
    `\nRecorder: ${fixed(recorder?.writesPerEvent)} DynamoDB writes and ${fixed(recorder?.readsPerEvent)} reads per request ` +
      `(${recorder?.events ?? 0} usage events of the stream c=1 phase recorded after it, one at a time)`,
    `Gateway bundle (the stack's esbuild settings): ${(bundle.gatewayBytes / 1024).toFixed(0)} KB ` +
      `(+ ${(bundle.sourceMapBytes / 1024).toFixed(0)} KB source map); import in a fresh process, median of ` +
      `${bundle.importMs.length}: ${bundle.importMsMedian.toFixed(1)} ms (${bundle.importMs.map((ms) => ms.toFixed(0)).join(', ')}), ` +
      `of it CPU ${bundle.importCpuMsMedian.toFixed(1)} ms`,
    `Recorder bundle (the same settings, its NODE_OPTIONS): ${(bundle.recorderBytes / 1024).toFixed(0)} KB; import, median of ` +
      `${bundle.recorderImportMs.length}: ${bundle.recorderImportMsMedian.toFixed(1)} ms (${bundle.recorderImportMs.map((ms) => ms.toFixed(0)).join(', ')}), ` +
      `of it CPU ${bundle.recorderImportCpuMsMedian.toFixed(1)} ms`,
    `Token counter (loaded only to bill a stream cut short): rank table beside the bundle ${(tokenizer.bytes / 1024).toFixed(0)} KB; ` +
      `first load and count in a fresh process, median of ${tokenizer.importMs.length}: ` +
      `${tokenizer.importMsMedian.toFixed(0)} ms, +${tokenizer.residentMbMedian.toFixed(1)} MB resident`,
    `DynamoDB write units per request (W): ${costs.writeUnitsPerRequest.toFixed(1)}, of them index writes ` +
      `${costs.indexWritesPerRequest.toFixed(1)} (gateway ${costs.gatewayIndexWritesPerRequest.toFixed(1)}, ` +
      `recorder ${fixed(recorder?.indexWritesPerEvent)}: ${Object.entries(
        recorder?.indexWritesPerEventByIndex ?? {},
      )
        .map(([index, units]) => `${index} ${units.toFixed(1)}`)
        .join(', ')}; DynamoDB's billing rule, counted in the dynalite process)`,
    `Cost per million requests at ${costs.memoryMb} MB (docs/deploy.md, prices of ${PRICES.asOf}): ` +
      `$${costs.stream2sUsd.toFixed(2)} for 2 s streams, $${costs.stream20sUsd.toFixed(2)} for 20 s streams`,
  ].join('\n');
}

/** The commit measured, marked `+changes` when the gateway's code differs from it. */
export function codeRevision(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = git('status', '--porcelain', '--', 'shared', 'functions', 'local') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? '+changes' : ''}`;
  } catch {
    return 'unknown';
  }
}
