/**
 * The large-transfer phase of the bench: one answer far larger than any normal one (by default a
 * 100 MB stream whose closing frames each carry a 20 MB text, and the same answer as one JSON
 * body), fetched directly from the mock and through the gateway, one at a time. It shows whether
 * forwarding stays linear in the bytes (MB/s through the gateway against direct) and whether the
 * gateway's memory is bounded by what it must inspect rather than by the size of a frame (its RSS
 * before and at its peak, sampled every 25 ms while the answer passes, and the kernel's high-water
 * mark of the process after it, which no sample can miss).
 *
 * @example
 * ```ts
 * const row = await measureTransfer({ url, apiKey, stream: true, agent, sampleRss });
 * ```
 */
import { type Agent, request } from 'undici';
import type { ProcessUsage } from './ipc.ts';

const MIB = 1024 * 1024;
const RSS_SAMPLE_MS = 25;

export interface TransferPlan {
  /** Base URL; the request goes to `${url}/v1/responses`. */
  url: string;
  apiKey: string;
  stream: boolean;
  /** `chat`: the same answer as a Chat Completions stream (`/v1/chat/completions`). */
  api?: 'responses' | 'chat';
  agent: Agent;
  /** The gateway's process usage, sampled while the answer passes; absent for direct rows. */
  sampleRss?: () => Promise<ProcessUsage>;
  /** The prompt (default a short one): a large one makes billing a cut count it. */
  input?: string;
  /**
   * Leave after this many bytes of the answer, as a client that hangs up; then RSS is sampled on
   * until `billed` resolves (the gateway has counted what it observed and published its usage).
   */
  cut?: { afterBytes: number; billed: () => Promise<BilledUsage> };
}

/** What the gateway billed a stream cut short. */
export interface BilledUsage {
  inputTokens: number;
  outputTokens: number;
  /** From the request's end to its usage event: the count of what was observed. */
  ms: number;
}

export interface TransferResult {
  stream: boolean;
  api: 'responses' | 'chat';
  target: 'direct' | 'gateway';
  bytes: number;
  ms: number;
  mbPerSecond: number;
  /** Gateway rows: RSS before the request and the highest sample while it ran, in MB. */
  rssBeforeMb?: number;
  rssPeakMb?: number;
  /**
   * Gateway rows: the process's maximum resident set so far (getrusage), in MB, read after the
   * row. Exact, but over the process's life: it is this row's peak only when above every earlier one.
   */
  maxRssMb?: number;
  /** True when the answer ended with its terminal event (stream) or completed status (JSON). */
  complete: boolean;
  /** Set when the client left on purpose ({@link TransferPlan.cut}). */
  billed?: BilledUsage;
}

/** What the client needs to know the answer is whole, looked for in the last bytes only. */
const TAIL_BYTES = 64 * 1024;

export async function measureTransfer(plan: TransferPlan): Promise<TransferResult> {
  const before = plan.sampleRss ? (await plan.sampleRss()).rssBytes : 0;
  let peak = before;
  let sampling = plan.sampleRss !== undefined;
  const sampler = (async () => {
    while (sampling && plan.sampleRss) {
      peak = Math.max(peak, (await plan.sampleRss()).rssBytes);
      await new Promise((resolve) => setTimeout(resolve, RSS_SAMPLE_MS));
    }
  })();
  const started = performance.now();
  const chat = plan.api === 'chat';
  const body = chat
    ? {
        model: 'gpt-5',
        messages: [{ role: 'user', content: 'Write a very long answer.' }],
        stream: plan.stream,
        ...(plan.stream ? { stream_options: { include_usage: true } } : {}),
      }
    : { model: 'gpt-5', input: plan.input ?? 'Write a very long answer.', stream: plan.stream };
  const response = await request(`${plan.url}/v1/${chat ? 'chat/completions' : 'responses'}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${plan.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    dispatcher: plan.agent,
  });
  let bytes = 0;
  let head = Buffer.alloc(0);
  let tail = Buffer.alloc(0);
  for await (const chunk of response.body) {
    const data = chunk as Buffer;
    bytes += data.length;
    if (head.length < TAIL_BYTES) head = Buffer.concat([head, data]).subarray(0, TAIL_BYTES);
    tail = Buffer.concat([tail, data]);
    if (tail.length > TAIL_BYTES) tail = tail.subarray(tail.length - TAIL_BYTES);
    if (plan.cut && bytes >= plan.cut.afterBytes) {
      response.body.destroy();
      break;
    }
  }
  const ms = performance.now() - started;
  const billed = plan.cut ? await plan.cut.billed() : undefined;
  sampling = false;
  await sampler;
  const maxRss = plan.sampleRss ? (await plan.sampleRss()).maxRssBytes : 0;
  const end = tail.toString('utf8');
  const complete =
    response.statusCode === 200 &&
    (!plan.stream
      ? end.includes('"total_tokens"')
      : chat
        ? head.includes('chat.completion.chunk') && end.includes('data: [DONE]')
        : head.includes('event: response.created') && !end.includes('event: error'));
  return {
    stream: plan.stream,
    api: chat ? 'chat' : 'responses',
    target: plan.sampleRss ? 'gateway' : 'direct',
    bytes,
    ms,
    mbPerSecond: bytes / MIB / (ms / 1000),
    ...(plan.sampleRss ? { rssBeforeMb: before / MIB, rssPeakMb: peak / MIB, maxRssMb: maxRss / MIB } : {}),
    complete,
    ...(billed ? { billed } : {}),
  };
}

/** A transfer did what it should: the answer came whole, or the client left on purpose and was billed. */
export function transferWorked(result: TransferResult): boolean {
  return result.complete || result.billed !== undefined;
}

/** The printed table: one row per transfer, gateway rows with their time over direct. */
export function formatTransfers(results: readonly TransferResult[], textMb: number): string {
  const header = `Large answers (text ${textMb} MB; a Responses stream carries it 5 times: deltas and 4 closing frames; a chat stream once)`;
  const rows = results.map((result) => {
    const direct = results.find(
      (other) => other.target === 'direct' && other.stream === result.stream && other.api === result.api,
    );
    const ratio =
      result.target === 'gateway' && direct && !result.billed
        ? ` (${(result.ms / direct.ms).toFixed(1)}× direct)`
        : '';
    const memory =
      result.rssBeforeMb !== undefined && result.rssPeakMb !== undefined
        ? `${result.rssBeforeMb.toFixed(0)} → ${result.rssPeakMb.toFixed(0)} (+${(result.rssPeakMb - result.rssBeforeMb).toFixed(0)})`
        : '';
    const maxRss = result.maxRssMb === undefined ? '' : result.maxRssMb.toFixed(0);
    const name = `${result.api === 'chat' ? 'chat ' : ''}${result.stream ? 'stream' : 'json'}${result.billed ? ' cut' : ''}`;
    return [
      `${name} ${result.target}`.padEnd(20),
      (result.bytes / MIB).toFixed(1).padStart(8),
      `${(result.ms / 1000).toFixed(2)} s${ratio}`.padStart(22),
      result.mbPerSecond.toFixed(1).padStart(7),
      memory.padStart(20),
      maxRss.padStart(7),
      result.billed
        ? `left; billed ${result.billed.inputTokens} in + ${result.billed.outputTokens} out, counted in ${(result.billed.ms / 1000).toFixed(1)} s`
        : result.complete
          ? 'yes'
          : 'NO',
    ].join('  ');
  });
  const columns = [
    'answer'.padEnd(20),
    'MB'.padStart(8),
    'time'.padStart(22),
    'MB/s'.padStart(7),
    'gateway RSS MB'.padStart(20),
    'max RSS'.padStart(7),
    'whole',
  ];
  return [header, columns.join('  '), ...rows].join('\n');
}
