/**
 * The events of a Responses API stream and the SSE frames that carry them, as the gateway reads
 * them (the relay reads a held frame whole and a large one from its head): which events end a
 * response, which deltas are text a client received, a frame's type, fields and sequence number,
 * and OpenAI's usage object as the gateway bills it. The relay (sse-relay.ts) decides what to hold, pass and
 * scan; this module only says what an event means.
 *
 * @example
 * ```ts
 * eventTypeOf('event: response.completed\ndata: {"type":"response.completed",…'); // 'response.completed'
 * isTerminalEvent('response.completed'); // true
 * tokenUsageOf({ input_tokens: 12, output_tokens: 3 }); // { inputTokens: 12, cachedInputTokens: 0, outputTokens: 3, reasoningTokens: 0 }
 * ```
 */
import type { TokenUsage } from '../events/usage-event.ts';

/** The events that end a response and carry its `usage`. */
const TERMINAL_EVENTS: ReadonlySet<string | undefined> = new Set([
  'response.completed',
  'response.incomplete',
  'response.failed',
  'response.done',
]);
/** Deltas that carry no text a tokenizer could count. */
const NON_TEXT_DELTAS = new Set(['response.audio.delta']);

/** Converts OpenAI's usage object to ours; missing fields count as zero. */
export function tokenUsageOf(usage: unknown): TokenUsage | undefined {
  if (typeof usage !== 'object' || usage === null) return undefined;
  const u = usage as Record<string, unknown>;
  const count = (value: unknown) => (Number.isFinite(value) ? Math.max(0, Math.floor(value as number)) : 0);
  const inputDetails = (u.input_tokens_details ?? {}) as Record<string, unknown>;
  const outputDetails = (u.output_tokens_details ?? {}) as Record<string, unknown>;
  return {
    inputTokens: count(u.input_tokens),
    cachedInputTokens: count(inputDetails.cached_tokens),
    outputTokens: count(u.output_tokens),
    reasoningTokens: count(outputDetails.reasoning_tokens),
  };
}

/** A delta whose text reached the client and counts as output (a stream cut short is billed for it). */
export function isTextDelta(type: string | undefined): type is string {
  return type?.endsWith('.delta') === true && !NON_TEXT_DELTAS.has(type);
}

/** The event type from a frame's head: its `event:` line, else the `type` its JSON starts with. */
export function eventTypeOf(head: string): string | undefined {
  const event = /^event:[ \t]*(.*?)\r?$/m.exec(head)?.[1];
  if (event) return event;
  return /^data:.*?"type"\s*:\s*"([^"]+)"/m.exec(head)?.[1];
}

/** Whether `type` ends a response (`response.completed`, `.incomplete`, `.failed`, `.done`). */
export function isTerminalEvent(type: string | undefined): boolean {
  return TERMINAL_EVENTS.has(type);
}

/** A whole frame's `event:` name and its `data:` lines joined (one space after the colon is not data). */
export function frameFieldsOf(text: string): { event: string | undefined; data: string } {
  let event: string | undefined;
  const dataLines: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) dataLines.push(line.slice(5).replace(/^ /, ''));
  }
  return { event, data: dataLines.join('\n') };
}

/**
 * The first `sequence_number` in a frame's text (a large frame's head included), which the
 * gateway's own closing event must follow.
 */
export function sequenceNumberIn(text: string): number | undefined {
  const found = /"sequence_number"\s*:\s*(\d+)/.exec(text)?.[1];
  return found === undefined ? undefined : Number(found);
}

/** A frame's data as an event object; `undefined` for malformed JSON. */
export function eventOf(data: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(data) as Record<string, unknown>;
  } catch {
    // A malformed frame is passed on as it came, nothing read from it.
  }
  return undefined;
}
