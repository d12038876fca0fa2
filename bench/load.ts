/**
 * The load client: `concurrency` workers send `POST …/v1/responses` back to back over keep-alive
 * connections (undici) until `requests` have been sent or `maxMs` has passed, and time each one.
 *
 * - time to first byte: from sending the request to the first body chunk (for a stream, the
 *   first SSE event);
 * - total: until the body has ended;
 * - for streams, the arrival time of every SSE event (comment frames such as pings skipped), on
 *   the wall clock `performance.timeOrigin + performance.now()` the mock process also uses.
 *
 * Each request carries `x-client-request-id: <prefix>-<n>` (the gateway passes it upstream, which
 * lets the gateway's traces and the mock's frame times be matched) and, when `sessions` is on,
 * `session-id: <prefix>-w<worker>`: one conversation per worker, as Codex sends it.
 *
 * @example
 * ```ts
 * const result = await runLoad({ url: mock.url, apiKey: 'sk-x', stream: true, concurrency: 32,
 *   requests: 2000, maxMs: 15_000, idPrefix: 'stream-c32', sessions: true }, agent);
 * ```
 */
import { type Agent, request } from 'undici';

export interface LoadPlan {
  /** Base URL; requests go to `${url}/v1/responses`. */
  url: string;
  apiKey: string;
  stream: boolean;
  concurrency: number;
  requests: number;
  maxMs: number;
  idPrefix: string;
  sessions: boolean;
  /** Session ids are `<sessionPrefix>-w<worker>` (default: idPrefix); a phase's warm-up and its run share them. */
  sessionPrefix?: string;
  /** Pads the prompt to about this many bytes (a Codex turn resends its conversation); 0 = a short prompt. */
  inputBytes?: number;
}

export interface RequestSample {
  id: string;
  ttfbMs: number;
  totalMs: number;
  /** Wall-clock arrival time of each SSE event, in order (streams only). */
  eventTimes: number[];
}

export interface LoadResult {
  samples: RequestSample[];
  /** Requests that did not end in a complete answer, with what went wrong. */
  failures: string[];
  elapsedMs: number;
}

const PROMPT = 'Say hello in five words.';

export async function runLoad(plan: LoadPlan, agent: Agent): Promise<LoadResult> {
  const samples: RequestSample[] = [];
  const failures: string[] = [];
  const started = performance.now();
  let issued = 0;
  const padding = Math.max(0, (plan.inputBytes ?? 0) - PROMPT.length);
  const input = padding > 0 ? `${PROMPT}\n${'lorem ipsum '.repeat(Math.ceil(padding / 12))}` : PROMPT;
  const body = JSON.stringify({ model: 'gpt-5', input, stream: plan.stream });

  async function worker(index: number): Promise<void> {
    while (issued < plan.requests && performance.now() - started < plan.maxMs) {
      const id = `${plan.idPrefix}-${issued++}`;
      const headers: Record<string, string> = {
        authorization: `Bearer ${plan.apiKey}`,
        'content-type': 'application/json',
        'x-client-request-id': id,
        ...(plan.sessions ? { 'session-id': `${plan.sessionPrefix ?? plan.idPrefix}-w${index}` } : {}),
      };
      try {
        const sample = await timedRequest(`${plan.url}/v1/responses`, headers, body, plan.stream, agent);
        sample.id = id;
        samples.push(sample);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  }

  await Promise.all(Array.from({ length: plan.concurrency }, (_, index) => worker(index)));
  return { samples, failures, elapsedMs: performance.now() - started };
}

async function timedRequest(
  url: string,
  headers: Record<string, string>,
  body: string,
  stream: boolean,
  agent: Agent,
): Promise<RequestSample> {
  const sent = performance.now();
  const response = await request(url, { method: 'POST', headers, body, dispatcher: agent });
  let firstByte: number | undefined;
  const eventTimes: number[] = [];
  let text = '';
  let pending = '';
  for await (const chunk of response.body) {
    const arrived = performance.now();
    firstByte ??= arrived;
    const decoded = (chunk as Buffer).toString('utf8');
    text += decoded;
    if (!stream) continue;
    pending += decoded;
    for (let end = pending.indexOf('\n\n'); end !== -1; end = pending.indexOf('\n\n')) {
      const frame = pending.slice(0, end);
      pending = pending.slice(end + 2);
      if (frame !== '' && !frame.startsWith(':')) eventTimes.push(performance.timeOrigin + arrived);
    }
  }
  const ended = performance.now();
  const complete = stream
    ? text.includes('event: response.completed')
    : text.includes('"status":"completed"');
  if (response.statusCode !== 200 || !complete) {
    throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
  }
  return { id: '', ttfbMs: (firstByte ?? ended) - sent, totalMs: ended - sent, eventTimes };
}
