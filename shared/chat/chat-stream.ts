/**
 * Responses stream events → `chat.completion.chunk` frames, one event at a time, for a client
 * that streams Chat Completions from an account that speaks only Responses. Pure and stateful:
 * it remembers the response id, the model and which tool call each output item is.
 *
 * The chunk sequence is Chat Completions': a first chunk with the assistant role, content (or
 * refusal) deltas, tool-call deltas (the first carrying id, type and name, later ones only
 * argument text, all with the call's `index`), one chunk with `finish_reason`, the usage chunk
 * (empty `choices`) when the client asked for it, then `data: [DONE]`. A failed response ends
 * with an error frame instead, which the SDKs raise as an error.
 *
 * @example
 * ```ts
 * const chunks = new ChatChunkStream({ includeUsage: true });
 * for (const event of responsesEvents) await channel.write(chunks.event(event));
 * ```
 */
import { GatewayError } from '../errors.ts';
import {
  chatIdOf,
  chatUsageOf,
  type FinishReason,
  failureMessageOf,
  finishReasonOf,
} from './chat-response.ts';
import { isObject, type Json } from './chat-values.ts';

/** Chat Completions streams carry errors as a plain `data:` frame, without an event name. */
export function chatErrorFrame(error: GatewayError): string {
  return `data: ${JSON.stringify(error.toBody())}\n\n`;
}

export const CHAT_DONE_FRAME = 'data: [DONE]\n\n';

interface ToolCallState {
  index: number;
  argumentsSent: boolean;
}

export class ChatChunkStream {
  private id = chatIdOf(undefined);
  private created = 0;
  private model: unknown;
  private roleSent = false;
  private readonly calls = new Map<string, ToolCallState>();
  /** True once the finishing chunk (or an error) was produced; later events are ignored. */
  ended = false;

  constructor(private readonly options: { includeUsage: boolean }) {}

  /** The SSE text for one parsed Responses event (`''` when it has no Chat counterpart). */
  event(event: Json): string {
    if (this.ended) return '';
    const response = isObject(event.response) ? event.response : undefined;
    if (response) this.remember(response);
    switch (event.type) {
      case 'response.created':
        return this.role();
      case 'response.output_text.delta':
        return typeof event.delta === 'string' ? this.role() + this.chunk({ content: event.delta }) : '';
      case 'response.refusal.delta':
        return typeof event.delta === 'string' ? this.role() + this.chunk({ refusal: event.delta }) : '';
      case 'response.output_item.added':
        return isObject(event.item) && event.item.type === 'function_call'
          ? this.callStarted(event.item)
          : '';
      case 'response.function_call_arguments.delta':
        return this.callArguments(String(event.item_id ?? ''), event.delta);
      case 'response.output_item.done':
        return isObject(event.item) && event.item.type === 'function_call' ? this.callDone(event.item) : '';
      case 'response.completed':
      case 'response.incomplete':
        return response ? this.finish(response) : '';
      case 'response.failed':
        return this.fail(failureMessageOf(response));
      case 'error':
        return this.fail(typeof event.message === 'string' ? event.message : 'Upstream stream failed');
      default:
        return '';
    }
  }

  /** True when the end of this output item would still add to the chunks: a call unknown, or whose arguments never streamed. */
  needsCallDone(itemId: string): boolean {
    const state = this.calls.get(itemId);
    return !this.ended && state?.argumentsSent !== true;
  }

  private remember(response: Json): void {
    if (typeof response.id === 'string') this.id = chatIdOf(response.id);
    if (typeof response.created_at === 'number') this.created = response.created_at;
    if (response.model !== undefined) this.model = response.model;
  }

  private chunk(delta: Json, finishReason: FinishReason | null = null): string {
    return this.frame({ choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
  }

  private frame(fields: Json): string {
    const chunk = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      system_fingerprint: null,
      ...fields,
    };
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  private role(): string {
    if (this.roleSent) return '';
    this.roleSent = true;
    return this.chunk({ role: 'assistant', content: '', refusal: null });
  }

  private callStarted(item: Json): string {
    const key = String(item.id ?? item.call_id ?? '');
    const state: ToolCallState = { index: this.calls.size, argumentsSent: false };
    this.calls.set(key, state);
    const args = typeof item.arguments === 'string' ? item.arguments : '';
    state.argumentsSent = args !== '';
    const call = {
      index: state.index,
      id: String(item.call_id ?? ''),
      type: 'function',
      function: { name: String(item.name ?? ''), arguments: args },
    };
    return this.role() + this.chunk({ tool_calls: [call] });
  }

  private callArguments(itemId: string, delta: unknown): string {
    const state = this.calls.get(itemId);
    if (!state || typeof delta !== 'string' || delta === '') return '';
    state.argumentsSent = true;
    return this.chunk({ tool_calls: [{ index: state.index, function: { arguments: delta } }] });
  }

  /** A call whose arguments never streamed gets them whole; one never announced, in full. */
  private callDone(item: Json): string {
    const state = this.calls.get(String(item.id ?? item.call_id ?? ''));
    if (!state) return this.callStarted(item);
    const args = typeof item.arguments === 'string' ? item.arguments : '';
    if (state.argumentsSent || args === '') return '';
    state.argumentsSent = true;
    return this.chunk({ tool_calls: [{ index: state.index, function: { arguments: args } }] });
  }

  private finish(response: Json): string {
    this.ended = true;
    let text = this.role() + this.chunk({}, finishReasonOf(response, this.calls.size > 0));
    const usage = chatUsageOf(response.usage);
    if (this.options.includeUsage && usage) text += this.frame({ choices: [], usage });
    return text + CHAT_DONE_FRAME;
  }

  private fail(message: string): string {
    this.ended = true;
    return chatErrorFrame(new GatewayError(502, 'upstream_error', message));
  }
}
