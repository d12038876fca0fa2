/**
 * The mock's Chat Completions answers (`POST /v1/chat/completions`), modelled on api.openai.com: the
 * `chat.completion` object, and the `chat.completion.chunk` stream — a role chunk, content deltas (or
 * tool-call deltas: id, type and name first, then argument text, each with its `index`), a chunk with
 * `finish_reason`, the usage chunk (empty `choices`) when `stream_options.include_usage` is set — in
 * which case every other chunk carries `"usage": null`, as the real API writes it — then `[DONE]`.
 */
import type { MockToolCall, MockUsage } from './behaviour.ts';
import { splitBySize } from './large-text.ts';
import { newId, splitIntoDeltas } from './response-events.ts';

/** The request fields the chat answer depends on. */
export interface ChatRequestBody {
  model: string;
  stream?: unknown;
  stream_options?: { include_usage?: unknown; include_obfuscation?: boolean } | null;
}

export interface MockChatCompletion {
  /** The non-streaming JSON body. */
  completion: Record<string, unknown>;
  /** The streamed form: the SSE data payloads in order, ending with `[DONE]`. */
  chunks: (Record<string, unknown> | '[DONE]')[];
}

function chatUsage(usage: MockUsage) {
  return {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.input_tokens + usage.output_tokens,
    prompt_tokens_details: { cached_tokens: usage.cached_tokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoning_tokens,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** Both forms of the answer `text` (or the calls `toolCalls`) to `body`. */
export function buildChatCompletion(
  body: ChatRequestBody,
  text: string,
  usage: MockUsage,
  toolCalls?: readonly MockToolCall[],
  /** Content deltas of this many characters (a large answer) instead of word by word. */
  deltaBytes?: number,
): MockChatCompletion {
  const id = `chatcmpl-${newId('x').slice(2, 31)}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, created, model: body.model, service_tier: 'default', system_fingerprint: 'fp_mock' };
  const calls = (toolCalls ?? []).map((call) => ({
    id: newId('call').slice(0, 29),
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  const finishReason = calls.length > 0 ? 'tool_calls' : 'stop';
  const completion = {
    ...head,
    object: 'chat.completion',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: calls.length > 0 ? null : text,
          refusal: null,
          annotations: [],
          ...(calls.length > 0 ? { tool_calls: calls } : {}),
        },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage: chatUsage(usage),
  };

  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
    ...head,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const deltas =
    calls.length > 0
      ? calls.flatMap((call, index) => {
          const half = Math.ceil(call.function.arguments.length / 2);
          const start = {
            index,
            id: call.id,
            type: 'function',
            function: { name: call.function.name, arguments: '' },
          };
          return [
            chunk({ tool_calls: [start] }),
            chunk({
              tool_calls: [{ index, function: { arguments: call.function.arguments.slice(0, half) } }],
            }),
            chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments.slice(half) } }] }),
          ];
        })
      : (deltaBytes ? splitBySize(text, deltaBytes) : splitIntoDeltas(text)).map((content) =>
          chunk({ content }),
        );
  const chunks: MockChatCompletion['chunks'] = [
    chunk({ role: 'assistant', content: calls.length > 0 ? null : '', refusal: null }),
    ...deltas,
    chunk({}, finishReason),
    ...(includeUsage
      ? [{ ...head, object: 'chat.completion.chunk', choices: [], usage: chatUsage(usage) }]
      : []),
    '[DONE]',
  ];
  return { completion, chunks };
}

/** One chat SSE frame as the real API writes it: a `data:` line and a blank line, no event name. */
export function chatFrame(payload: Record<string, unknown> | '[DONE]'): string {
  return `data: ${payload === '[DONE]' ? payload : JSON.stringify(payload)}\n\n`;
}
