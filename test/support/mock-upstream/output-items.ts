/**
 * Responses streams with every kind of output item and every kind of ending, as api.openai.com
 * and the ChatGPT Codex backend send them: reasoning (summary deltas, encrypted content),
 * messages, refusals, function calls and custom tool calls (Codex's `apply_patch`) with their
 * argument deltas, several items in one answer; ending in `response.completed`,
 * `response.incomplete` (max_output_tokens, content_filter), `response.failed`, or a top-level
 * `error` event after which the upstream closes the stream.
 */
import { randomBytes } from 'node:crypto';
import type { MockUsage } from './behaviour.ts';
import {
  fullUsage,
  initialResponse,
  newId,
  type ResponseEvent,
  type ResponsesRequestBody,
} from './response-events.ts';

/** One output item of a scripted answer. */
export type MockOutputItem =
  | { type: 'message'; text: string }
  | { type: 'refusal'; refusal: string }
  | { type: 'reasoning'; summary: string[]; encrypted?: boolean }
  | { type: 'function_call'; name: string; arguments: string }
  | { type: 'custom_tool_call'; name: string; input: string };

/** How a scripted answer ends. */
export type MockEnding =
  | { status: 'completed' }
  | { status: 'incomplete'; reason: 'max_output_tokens' | 'content_filter' }
  | { status: 'failed'; code: string; message: string }
  /** A top-level `error` event, then the upstream closes the stream (no terminal event). */
  | { status: 'error'; code: string; message: string };

type Payload = { type: string; [field: string]: unknown };

/** Splits `text` in two deltas (one when it is shorter than two characters). */
function halves(text: string): string[] {
  const half = Math.ceil(text.length / 2);
  return text.length < 2 ? [text] : [text.slice(0, half), text.slice(half)];
}

/** The events of one item at `output_index` and the item as it stands in the final response. */
function itemEvents(
  spec: MockOutputItem,
  outputIndex: number,
): { item: Record<string, unknown>; events: Payload[] } {
  const at = { output_index: outputIndex };
  switch (spec.type) {
    case 'reasoning': {
      const id = newId('rs');
      const summary = spec.summary.map((text) => ({ type: 'summary_text', text }));
      const encrypted = spec.encrypted
        ? { encrypted_content: `gAAAAA${randomBytes(48).toString('base64')}` }
        : {};
      const item = { id, type: 'reasoning', summary, ...encrypted };
      const events: Payload[] = [
        { type: 'response.output_item.added', ...at, item: { id, type: 'reasoning', summary: [] } },
      ];
      for (const [summaryIndex, text] of spec.summary.entries()) {
        const where = { item_id: id, ...at, summary_index: summaryIndex };
        events.push(
          {
            type: 'response.reasoning_summary_part.added',
            ...where,
            part: { type: 'summary_text', text: '' },
          },
          ...halves(text).map((delta) => ({
            type: 'response.reasoning_summary_text.delta',
            ...where,
            delta,
          })),
          { type: 'response.reasoning_summary_text.done', ...where, text },
          { type: 'response.reasoning_summary_part.done', ...where, part: { type: 'summary_text', text } },
        );
      }
      events.push({ type: 'response.output_item.done', ...at, item });
      return { item, events };
    }
    case 'message':
    case 'refusal': {
      const id = newId('msg');
      const where = { item_id: id, ...at, content_index: 0 };
      const isText = spec.type === 'message';
      const value = isText ? spec.text : spec.refusal;
      const part = isText
        ? { type: 'output_text', annotations: [], logprobs: [], text: value }
        : { type: 'refusal', refusal: value };
      const empty = isText ? { ...part, text: '' } : { ...part, refusal: '' };
      const kind = isText ? 'output_text' : 'refusal';
      const item = { id, type: 'message', status: 'completed', content: [part], role: 'assistant' };
      const events: Payload[] = [
        { type: 'response.output_item.added', ...at, item: { ...item, status: 'in_progress', content: [] } },
        { type: 'response.content_part.added', ...where, part: empty },
        ...halves(value).map((delta) => ({
          type: `response.${kind}.delta`,
          ...where,
          delta,
          ...(isText ? { logprobs: [] } : {}),
        })),
        {
          type: `response.${kind}.done`,
          ...where,
          ...(isText ? { text: value, logprobs: [] } : { refusal: value }),
        },
        { type: 'response.content_part.done', ...where, part },
        { type: 'response.output_item.done', ...at, item },
      ];
      return { item, events };
    }
    case 'function_call':
    case 'custom_tool_call': {
      const isFunction = spec.type === 'function_call';
      const id = newId(isFunction ? 'fc' : 'ctc');
      const field = isFunction ? 'arguments' : 'input';
      const value = isFunction ? spec.arguments : spec.input;
      const item = {
        id,
        type: spec.type,
        status: 'completed',
        call_id: newId('call'),
        name: spec.name,
        [field]: value,
      };
      const stem = isFunction ? 'response.function_call_arguments' : 'response.custom_tool_call_input';
      const where = { item_id: id, ...at };
      const events: Payload[] = [
        { type: 'response.output_item.added', ...at, item: { ...item, status: 'in_progress', [field]: '' } },
        ...halves(value).map((delta) => ({ type: `${stem}.delta`, ...where, delta })),
        { type: `${stem}.done`, ...where, [field]: value },
        { type: 'response.output_item.done', ...at, item },
      ];
      return { item, events };
    }
  }
}

/** The final response object and the SSE events of an answer made of `items`, ending as `ending` says. */
export function buildItemsCompletion(
  body: ResponsesRequestBody,
  items: readonly MockOutputItem[],
  usage: MockUsage,
  ending: MockEnding = { status: 'completed' },
): { response: Record<string, unknown>; events: ResponseEvent[] } {
  const createdAt = Math.floor(Date.now() / 1000);
  const initial = initialResponse(body, newId('resp'), createdAt);
  const built = items.map((spec, index) => itemEvents(spec, index));
  const output = built.map(({ item }) => item);
  const finished = { ...initial, output, usage: fullUsage(usage) };
  const response =
    ending.status === 'incomplete'
      ? { ...finished, status: 'incomplete', incomplete_details: { reason: ending.reason } }
      : ending.status === 'failed' || ending.status === 'error'
        ? { ...finished, status: 'failed', error: { code: ending.code, message: ending.message } }
        : { ...finished, status: 'completed', completed_at: createdAt };
  const payloads: Payload[] = [
    { type: 'response.created', response: initial },
    { type: 'response.in_progress', response: initial },
    ...built.flatMap(({ events }) => events),
  ];
  if (ending.status === 'error') {
    payloads.push({ type: 'error', code: ending.code, message: ending.message, param: null });
  } else {
    payloads.push({ type: `response.${ending.status}`, response });
  }
  const events = payloads.map(
    ({ type, ...fields }, index): ResponseEvent => ({ type, sequence_number: index, ...fields }),
  );
  return { response, events };
}
