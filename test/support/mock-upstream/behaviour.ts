/**
 * What the mock upstream should do with one `POST …/responses` request, and how a request can pick it
 * itself (header or marker in the prompt) when the test driving it cannot call `enqueue` in between,
 * e.g. when Codex CLI talks to quotagate which talks to the mock.
 */

/**
 * Token counts reported in the `usage` object of a completed response.
 * The mock reports them in the real API's nested shape (`input_tokens_details.cached_tokens`, …).
 */
import type { MockEnding, MockOutputItem } from './output-items.ts';

export interface MockUsage {
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
}

/** A function call the answer makes instead of text (`arguments` is the JSON text of its arguments). */
export interface MockToolCall {
  name: string;
  arguments: string;
}

/**
 * One scripted upstream reaction.
 *
 * - `ok`: a normal completion (SSE event sequence when the request has `stream: true`, else JSON);
 *   with `toolCalls`, the answer calls those functions instead of answering with text.
 *   `firstByteDelayMs` delays the status line, `chunkDelayMs` is waited between SSE frames;
 *   `textBytes`/`deltaBytes` make an answer of any size.
 * - `error`: an HTTP error with an OpenAI-shaped body (`body` replaces the default one; `rawBody` is
 *   sent as it is instead, for answers that are not JSON, e.g. a proxy's HTML page).
 * - `stall`: sends the 200 headers (and, when streaming, the first `afterEvents` SSE frames, default 0),
 *   then nothing more until the client goes away or the mock is closed. Models a hung upstream.
 * - `drop`: like `stall` but then closes the connection without finishing the response
 *   (no terminal event, no final chunk). Models a connection lost mid-stream.
 */
export type MockBehaviour =
  | {
      kind: 'ok';
      text?: string;
      toolCalls?: MockToolCall[];
      /**
       * The answer's output items in order (reasoning, messages, refusals, function and custom
       * tool calls), instead of `text` / `toolCalls`; see output-items.ts.
       */
      output?: MockOutputItem[];
      /** How the answer ends (default `completed`): incomplete, failed, or an `error` event and a close. */
      ending?: MockEnding;
      /** Answer with a text of this many bytes instead of `text` (see large-text.ts). */
      textBytes?: number;
      /** Split the answer into deltas of this many characters instead of about four. */
      deltaBytes?: number;
      usage?: Partial<MockUsage>;
      firstByteDelayMs?: number;
      chunkDelayMs?: number;
      headers?: Record<string, string>;
    }
  | {
      kind: 'error';
      status: number;
      body?: unknown;
      /** Sent byte for byte, `content-type: text/html` unless `headers` say otherwise. */
      rawBody?: string;
      headers?: Record<string, string>;
      firstByteDelayMs?: number;
    }
  | { kind: 'stall'; afterEvents?: number }
  | { kind: 'drop'; afterEvents?: number };

/** Request header through which a client can choose the behaviour for its own request. */
export const BEHAVIOUR_HEADER = 'x-mock-behaviour';

const MARKER_START = '[[mock:';
const MARKER_END = ']]';

/** Result of looking for a behaviour chosen by the request itself. */
export type RequestedBehaviour =
  | { found: false }
  | { found: true; behaviour: MockBehaviour }
  | { found: true; invalid: string };

/**
 * Checks that a value decoded from JSON is a usable {@link MockBehaviour}.
 * Returns an error message for the client, or `undefined` when it is valid.
 */
function behaviourProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'must be a JSON object';
  const { kind, status } = value as { kind?: unknown; status?: unknown };
  if (kind === 'error') {
    return Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599
      ? undefined
      : '"status" must be an HTTP status code';
  }
  return kind === 'ok' || kind === 'stall' || kind === 'drop'
    ? undefined
    : '"kind" must be one of ok, error, stall, drop';
}

function decode(source: string, json: string): RequestedBehaviour {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { found: true, invalid: `${source} is not valid JSON` };
  }
  const problem = behaviourProblem(value);
  return problem
    ? { found: true, invalid: `${source} ${problem}` }
    : { found: true, behaviour: value as MockBehaviour };
}

/** The `[[mock:{…}]]` markers in one string, as decoded behaviours, in order of appearance. */
function markersIn(text: string): RequestedBehaviour[] {
  const found: RequestedBehaviour[] = [];
  let start = text.indexOf(MARKER_START);
  while (start !== -1) {
    const jsonStart = start + MARKER_START.length;
    // The JSON may itself contain "]]", so try each closing bracket pair until one parses.
    let end = text.indexOf(MARKER_END, jsonStart);
    let decoded: RequestedBehaviour = { found: true, invalid: 'mock marker is not closed with ]]' };
    while (end !== -1) {
      decoded = decode('mock marker', text.slice(jsonStart, end));
      if (!('invalid' in decoded) || decoded.invalid !== 'mock marker is not valid JSON') break;
      end = text.indexOf(MARKER_END, end + 1);
    }
    found.push(decoded);
    start = text.indexOf(MARKER_START, end === -1 ? jsonStart : end + MARKER_END.length);
  }
  return found;
}

/** The text strings of one input item: `content` as a string, or the `text` of its content parts. */
function itemTexts(item: unknown): string[] {
  const content = (item as { content?: unknown } | null)?.content;
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((part) => {
    const text = (part as { text?: unknown } | null)?.text;
    return typeof text === 'string' ? [text] : [];
  });
}

/**
 * The prompt text a marker is looked for in: `input` itself when it is a string; otherwise the latest
 * user message (or every item when there is no user message). Agents such as Codex resend the whole
 * conversation on every turn, so looking further back would make one turn's marker apply to all later
 * turns.
 */
function promptTexts(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return [];
  const latestUser = input.findLast((item) => (item as { role?: unknown } | null)?.role === 'user');
  return latestUser === undefined ? input.flatMap(itemTexts) : itemTexts(latestUser);
}

/**
 * Finds the behaviour a request asks for: the `x-mock-behaviour` header wins, else the last
 * `[[mock:{…}]]` marker in the prompt text (see {@link promptTexts}).
 */
export function requestedBehaviour(headerValue: string | undefined, body: unknown): RequestedBehaviour {
  if (headerValue !== undefined) return decode(`${BEHAVIOUR_HEADER} header`, headerValue);
  // Responses requests carry the prompt in `input`, Chat Completions requests in `messages`.
  const request = body as { input?: unknown; messages?: unknown } | null;
  const input = request?.input ?? request?.messages;
  const markers = promptTexts(input).flatMap(markersIn);
  return markers.at(-1) ?? { found: false };
}
