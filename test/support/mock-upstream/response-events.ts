/**
 * Builds the Responses API objects the mock sends: the `response` object (echoing request fields the way
 * the real API does) and the SSE event sequence of a one-message text answer, modelled on recorded
 * api.openai.com streams.
 */
import { randomBytes } from 'node:crypto';
import type { MockToolCall, MockUsage } from './behaviour.ts';
import { splitBySize } from './large-text.ts';

/** Text of the answer when an `ok` behaviour gives none. */
export const DEFAULT_TEXT = 'Hello from the mock upstream.';

/** Token counts reported when an `ok` behaviour overrides none of them. */
export const DEFAULT_USAGE: MockUsage = {
  input_tokens: 12,
  cached_tokens: 0,
  output_tokens: 7,
  reasoning_tokens: 0,
};

/**
 * The request fields the response object echoes back (everything else in the body is ignored).
 * Values come from client JSON, so the types describe what a well-formed request sends.
 */
export interface ResponsesRequestBody {
  model: string;
  background?: boolean;
  instructions?: unknown;
  max_output_tokens?: number;
  max_tool_calls?: number;
  metadata?: Record<string, string>;
  parallel_tool_calls?: boolean;
  previous_response_id?: string;
  prompt_cache_key?: string;
  reasoning?: { effort?: string; summary?: string };
  safety_identifier?: string;
  service_tier?: string;
  store?: boolean;
  stream_options?: { include_obfuscation?: boolean };
  temperature?: number;
  text?: { format?: unknown; verbosity?: string };
  tool_choice?: unknown;
  tools?: unknown[];
  top_logprobs?: number;
  top_p?: number;
  truncation?: string;
  user?: string;
}

/** One server-sent event: its `type` is also the SSE `event:` name. */
export interface ResponseEvent {
  type: string;
  sequence_number: number;
  [field: string]: unknown;
}

/** The complete outcome of a successful request, in both of its wire forms. */
export interface MockCompletion {
  /** The final response object: the non-streaming JSON body and the `response.completed` payload. */
  response: Record<string, unknown>;
  /** The SSE events of the streaming form, `sequence_number` 0…n-1, ending with `response.completed`. */
  events: ResponseEvent[];
}

/** An id in the real API's format: a prefix and 50 hex characters. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(25).toString('hex')}`;
}

/**
 * Splits text into about four deltas at whitespace, the way real deltas carry whole tokens with their
 * leading space (`"Hello"`, `" from"`, …). The deltas concatenate back to exactly `text`.
 */
export function splitIntoDeltas(text: string, count = 4): string[] {
  const words = text.split(/(?=\s)/).filter((word) => word !== '');
  const groups = Math.min(count, words.length);
  const deltas: string[] = [];
  let next = 0;
  for (let group = 0; group < groups; group++) {
    const size = Math.ceil((words.length - next) / (groups - group));
    deltas.push(words.slice(next, next + size).join(''));
    next += size;
  }
  return deltas;
}

/**
 * The random padding the real API adds to delta events (unless the request sets
 * `stream_options.include_obfuscation: false`) so that every delta frame has about the same size.
 */
function obfuscationFor(delta: string): string {
  const length = Math.max(2, 16 - delta.length);
  return randomBytes(length).toString('base64url').slice(0, length);
}

export function fullUsage(usage: MockUsage) {
  return {
    input_tokens: usage.input_tokens,
    input_tokens_details: { cached_tokens: usage.cached_tokens },
    output_tokens: usage.output_tokens,
    output_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
    total_tokens: usage.input_tokens + usage.output_tokens,
  };
}

/**
 * The response object in the state `response.created` carries it: `in_progress`, no output, no usage.
 * Request parameters are echoed back with the defaults the real API fills in.
 */
export function initialResponse(
  body: ResponsesRequestBody,
  id: string,
  createdAt: number,
): Record<string, unknown> {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    background: body.background ?? false,
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: body.max_tool_calls ?? null,
    model: body.model,
    output: [],
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
    safety_identifier: body.safety_identifier ?? null,
    service_tier: body.service_tier ?? 'auto',
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: body.text?.format ?? { type: 'text' }, verbosity: body.text?.verbosity ?? 'medium' },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_logprobs: body.top_logprobs ?? 0,
    top_p: body.top_p ?? 1,
    truncation: body.truncation ?? 'disabled',
    usage: null,
    user: body.user ?? null,
    metadata: body.metadata ?? {},
  };
}

/**
 * Builds the answer `text` to the request `body` (already-parsed JSON): the final response object and the
 * SSE sequence created → in_progress → output_item.added → content_part.added → output_text.delta… →
 * output_text.done → content_part.done → output_item.done → completed. With `toolCalls` the answer is
 * those function calls instead of text ({@link toolCallEvents}).
 */
export function buildCompletion(
  body: ResponsesRequestBody,
  text: string,
  usage: MockUsage,
  toolCalls?: readonly MockToolCall[],
  deltaBytes?: number,
): MockCompletion {
  if (toolCalls && toolCalls.length > 0) return toolCallCompletion(body, toolCalls, usage);
  const createdAt = Math.floor(Date.now() / 1000);
  const initial = initialResponse(body, newId('resp'), createdAt);
  const itemId = newId('msg');
  const emptyPart = { type: 'output_text', annotations: [], logprobs: [], text: '' };
  const part = { ...emptyPart, text };
  const item = { id: itemId, type: 'message', status: 'completed', content: [part], role: 'assistant' };
  const response = {
    ...initial,
    status: 'completed',
    completed_at: createdAt,
    output: [item],
    // The real API resolves the requested tier: a request for "auto" completes as "default".
    service_tier: initial.service_tier === 'auto' ? 'default' : initial.service_tier,
    usage: fullUsage(usage),
  };
  const obfuscate = body.stream_options?.include_obfuscation !== false;
  const at = { item_id: itemId, output_index: 0, content_index: 0 };

  const payloads: { type: string; [field: string]: unknown }[] = [
    { type: 'response.created', response: initial },
    { type: 'response.in_progress', response: initial },
    {
      type: 'response.output_item.added',
      output_index: 0,
      item: { ...item, status: 'in_progress', content: [] },
    },
    { type: 'response.content_part.added', ...at, part: emptyPart },
    ...(deltaBytes ? splitBySize(text, deltaBytes) : splitIntoDeltas(text)).map((delta) => ({
      type: 'response.output_text.delta',
      ...at,
      delta,
      logprobs: [],
      ...(obfuscate ? { obfuscation: obfuscationFor(delta) } : {}),
    })),
    { type: 'response.output_text.done', ...at, text, logprobs: [] },
    { type: 'response.content_part.done', ...at, part },
    { type: 'response.output_item.done', output_index: 0, item },
    { type: 'response.completed', response },
  ];
  const events = payloads.map(
    ({ type, ...fields }, index): ResponseEvent => ({
      type,
      sequence_number: index,
      ...fields,
    }),
  );
  return { response, events };
}

/**
 * The answer that calls `toolCalls`: one `function_call` item each, announced with empty arguments,
 * the arguments streamed in two deltas, then done; the response completes with all of them.
 */
function toolCallCompletion(
  body: ResponsesRequestBody,
  toolCalls: readonly MockToolCall[],
  usage: MockUsage,
): MockCompletion {
  const createdAt = Math.floor(Date.now() / 1000);
  const initial = initialResponse(body, newId('resp'), createdAt);
  const items = toolCalls.map((call) => ({
    id: newId('fc'),
    type: 'function_call',
    status: 'completed',
    arguments: call.arguments,
    call_id: newId('call'),
    name: call.name,
  }));
  const response = {
    ...initial,
    status: 'completed',
    completed_at: createdAt,
    output: items,
    usage: fullUsage(usage),
  };
  const payloads: { type: string; [field: string]: unknown }[] = [
    { type: 'response.created', response: initial },
    { type: 'response.in_progress', response: initial },
  ];
  for (const [outputIndex, item] of items.entries()) {
    const at = { item_id: item.id, output_index: outputIndex };
    const half = Math.ceil(item.arguments.length / 2);
    payloads.push(
      {
        type: 'response.output_item.added',
        output_index: outputIndex,
        item: { ...item, status: 'in_progress', arguments: '' },
      },
      { type: 'response.function_call_arguments.delta', ...at, delta: item.arguments.slice(0, half) },
      { type: 'response.function_call_arguments.delta', ...at, delta: item.arguments.slice(half) },
      { type: 'response.function_call_arguments.done', ...at, arguments: item.arguments },
      { type: 'response.output_item.done', output_index: outputIndex, item },
    );
  }
  payloads.push({ type: 'response.completed', response });
  const events = payloads.map(
    ({ type, ...fields }, index): ResponseEvent => ({ type, sequence_number: index, ...fields }),
  );
  return { response, events };
}
