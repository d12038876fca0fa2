/**
 * Responses → Chat Completions for one whole answer: the final `response` object of a ChatGPT
 * backend stream becomes the `chat.completion` a client that did not stream reads. Pure.
 *
 * @example
 * ```ts
 * const completion = chatCompletionOf(finalResponse);
 * completion.choices[0].message.content; // the output text
 * ```
 */
import type { TokenUsage } from '../events/usage-event.ts';
import { isObject, type Json } from './chat-values.ts';

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** Chat's id for a response: the same suffix, so both can be matched in logs. */
export function chatIdOf(responseId: unknown): string {
  const id = typeof responseId === 'string' ? responseId.replace(/^resp_/, '') : '';
  return `chatcmpl-${id}`;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Responses' usage object in Chat Completions' words; `undefined` when there is none. */
export function chatUsageOf(usage: unknown): Json | undefined {
  if (!isObject(usage)) return undefined;
  const input = isObject(usage.input_tokens_details) ? usage.input_tokens_details : {};
  const output = isObject(usage.output_tokens_details) ? usage.output_tokens_details : {};
  const promptTokens = count(usage.input_tokens);
  const completionTokens = count(usage.output_tokens);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: count(input.cached_tokens), audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: count(output.reasoning_tokens),
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Why the answer ended, in Chat Completions' vocabulary. */
export function finishReasonOf(response: Json, calledTools: boolean): FinishReason {
  if (response.status === 'incomplete') {
    const reason = isObject(response.incomplete_details) ? response.incomplete_details.reason : undefined;
    if (reason === 'content_filter') return 'content_filter';
    return 'length';
  }
  return calledTools ? 'tool_calls' : 'stop';
}

/** The text, refusal and tool calls of a response's output items. */
function messageOf(output: unknown): {
  content: string | null;
  refusal: string | null;
  toolCalls: ChatToolCall[];
} {
  let content: string | null = null;
  let refusal: string | null = null;
  const toolCalls: ChatToolCall[] = [];
  for (const item of Array.isArray(output) ? output : []) {
    if (!isObject(item)) continue;
    if (item.type === 'function_call') {
      toolCalls.push({
        id: String(item.call_id ?? item.id ?? ''),
        type: 'function',
        function: { name: String(item.name ?? ''), arguments: String(item.arguments ?? '') },
      });
    } else if (item.type === 'message' && Array.isArray(item.content)) {
      for (const part of item.content) {
        if (!isObject(part)) continue;
        if (part.type === 'output_text' && typeof part.text === 'string')
          content = (content ?? '') + part.text;
        if (part.type === 'refusal' && typeof part.refusal === 'string')
          refusal = (refusal ?? '') + part.refusal;
      }
    }
  }
  return { content, refusal, toolCalls };
}

/** The `chat.completion` object for a finished (completed or incomplete) response. */
export function chatCompletionOf(response: Json): Json {
  const { content, refusal, toolCalls } = messageOf(response.output);
  const usage = chatUsageOf(response.usage);
  return {
    id: chatIdOf(response.id),
    object: 'chat.completion',
    created: count(response.created_at),
    model: response.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          refusal,
          annotations: [],
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReasonOf(response, toolCalls.length > 0),
      },
    ],
    ...(usage ? { usage } : {}),
    ...(typeof response.service_tier === 'string' ? { service_tier: response.service_tier } : {}),
    system_fingerprint: null,
  };
}

/** The upstream's message for a response that failed, or a generic one. */
export function failureMessageOf(response: Json | undefined): string {
  const error = response && isObject(response.error) ? response.error : undefined;
  return typeof error?.message === 'string' && error.message !== ''
    ? error.message
    : 'Upstream response failed';
}

/** Chat Completions' usage object as the gateway bills it; `undefined` when there is none. */
export function tokenUsageOfChat(usage: unknown): TokenUsage | undefined {
  if (!isObject(usage)) return undefined;
  const prompt = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const completion = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  return {
    inputTokens: count(usage.prompt_tokens),
    cachedInputTokens: count(prompt.cached_tokens),
    outputTokens: count(usage.completion_tokens),
    reasoningTokens: count(completion.reasoning_tokens),
  };
}
