/**
 * The requests of the gateway reconciliation test, drawn from a seeded generator so a failing
 * run can be replayed: which key calls, which model, streamed or not, what usage the upstream
 * reports, and what goes wrong on the way. Each request carries its own upstream behaviour in
 * its prompt (the mock's `[[mock:…]]` marker, and the failing front's `[[fail:…]]` for a first
 * attempt that fails), so thousands can run concurrently without a shared script.
 */

import { type FailSpec, failMarker } from './failing-front.ts';
import type { MockBehaviour, MockUsage } from './mock-upstream.ts';

/**
 * - `ok`: served as asked; `failover`: the first account answers 5xx, the next serves;
 *   `rateLimited`: the first account answers 429 (cooling it for a moment), the next serves;
 * - `dropped`: the upstream cuts a stream before `response.completed` (cut short, billed what
 *   reached the client: the prompt and the text, or nothing when no text did);
 * - `abandoned`: the client hangs up mid-stream (cut short, billed the prompt and the text it got);
 * - never recorded: `droppedJson` (the upstream cuts a JSON answer before the client got a
 *   byte, on every account it fails over to), `rejected` (upstream 400, the client's own
 *   mistake), `exhausted` (every account answers 503), `refused` (the gateway refuses the key
 *   before any upstream).
 */
export type RequestKind =
  | 'ok'
  | 'failover'
  | 'rateLimited'
  | 'dropped'
  | 'abandoned'
  | 'droppedJson'
  | 'rejected'
  | 'exhausted'
  | 'refused';

export const SERVED_KINDS: ReadonlySet<RequestKind> = new Set([
  'ok',
  'failover',
  'rateLimited',
  'dropped',
  'abandoned',
]);

const KIND_WEIGHTS: [RequestKind, number][] = [
  ['ok', 0.66],
  ['failover', 0.08],
  ['rateLimited', 0.04],
  ['dropped', 0.05],
  ['abandoned', 0.05],
  ['droppedJson', 0.02],
  ['rejected', 0.04],
  ['exhausted', 0.03],
  ['refused', 0.03],
];

/** Priced models, and one no price table knows (billed at the default price). */
export const KNOWN_MODELS = ['gpt-5.1-codex', 'gpt-5.1-codex-mini', 'gpt-5.2', 'gpt-5-mini'];
export const UNKNOWN_MODEL = 'gpt-9-preview';

export interface PlannedRequest {
  tag: string;
  kind: RequestKind;
  /** Index of the calling key. */
  caller: number;
  model: string;
  stream: boolean;
  /** What the upstream reports in `response.completed` (when it gets there). */
  usage: MockUsage;
  /** Sent as the string `input`: the tag and the markers. */
  input: string;
  /** `dropped`: the events the upstream sends before it cuts the stream. */
  dropAfterEvents?: number;
}

/** mulberry32: a small seeded generator. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pickKind(roll: number): RequestKind {
  let sum = 0;
  for (const [kind, weight] of KIND_WEIGHTS) {
    sum += weight;
    if (roll < sum) return kind;
  }
  return 'ok';
}

function upstreamOf(kind: RequestKind, usage: MockUsage, int: (max: number) => number): MockBehaviour {
  switch (kind) {
    case 'dropped':
      return { kind: 'drop', afterEvents: 1 + int(6) };
    case 'droppedJson':
      return { kind: 'drop' };
    case 'abandoned':
      // Slow enough that the client's hang-up is seen long before `response.completed`.
      return { kind: 'ok', usage, chunkDelayMs: 60 };
    case 'rejected':
      return { kind: 'error', status: 400 };
    case 'exhausted':
      return { kind: 'error', status: 503 };
    default:
      return { kind: 'ok', usage };
  }
}

function failFirst(kind: RequestKind, tag: string, int: (max: number) => number): FailSpec | undefined {
  if (kind === 'failover') return { id: tag, times: 1, status: [500, 502, 503][int(3)] as number };
  // OpenAI's own reset header, short: the account cools down without starving the group.
  if (kind === 'rateLimited')
    return { id: tag, times: 1, status: 429, headers: { 'x-ratelimit-reset-requests': '20ms' } };
  return undefined;
}

/** `count` requests over `callers` keys; `refused` requests use `refusingCaller`. */
export function planRequests(
  rand: () => number,
  count: number,
  callers: number,
  refusingCaller: number,
): PlannedRequest[] {
  const int = (max: number) => Math.floor(rand() * max);
  return Array.from({ length: count }, (_, index) => {
    const tag = `r${index}`;
    const kind = pickKind(rand());
    const inputTokens = int(200_000);
    const outputTokens = int(20_000);
    const usage: MockUsage = {
      input_tokens: inputTokens,
      cached_tokens: int(inputTokens + 1),
      output_tokens: outputTokens,
      reasoning_tokens: int(outputTokens + 1),
    };
    const stream =
      kind === 'dropped' || kind === 'abandoned' ? true : kind === 'droppedJson' ? false : rand() < 0.5;
    const model = rand() < 0.1 ? UNKNOWN_MODEL : (KNOWN_MODELS[int(KNOWN_MODELS.length)] as string);
    const fail = failFirst(kind, tag, int);
    const behaviour = upstreamOf(kind, usage, int);
    const markers = [`[[mock:${JSON.stringify(behaviour)}]]`];
    if (fail) markers.push(failMarker(fail));
    return {
      tag,
      kind,
      caller: kind === 'refused' ? refusingCaller : int(callers),
      model,
      stream,
      usage,
      input: `${tag} ${markers.join(' ')}`,
      ...(kind === 'dropped' && behaviour.kind === 'drop'
        ? { dropAfterEvents: behaviour.afterEvents ?? 0 }
        : {}),
    };
  });
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}
