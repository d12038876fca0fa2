/**
 * `POST /v1/chat/completions` as a {@link ClientApi}: API-key accounts get the request as it came
 * (on the platform's `/v1/chat/completions`, with the usage chunk always asked for when
 * streaming), ChatGPT accounts get it translated to Responses and their answer translated back.
 * One per request, because what the client asked for (the usage chunk) shapes the relay.
 *
 * @example
 * ```ts
 * const api = chatCompletionsApi(body.json);
 * const target = api.target({ ...input, account });
 * ```
 */
import { chatToResponsesRequest } from '../chat/chat-request.ts';
import { tokenUsageOfChat } from '../chat/chat-response.ts';
import { isObject } from '../chat/chat-values.ts';
import { GatewayError } from '../errors.ts';
import { ChatOverResponsesRelay } from './chat-over-responses.ts';
import { ChatChunkRelay } from './chat-relay.ts';
import { type ClientApi, jsonAnswerOf } from './client-api.ts';
import { buildUpstreamRequest } from './upstream-request.ts';

/** The checks every Chat Completions request passes before it waits for a slot. */
export function checkChatBody(body: Record<string, unknown>): void {
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    throw new GatewayError(
      400,
      'invalid_request_error',
      'messages must be a non-empty array',
      undefined,
      'messages',
    );
  const options = body.stream_options;
  if (options !== undefined && options !== null && !isObject(options))
    throw new GatewayError(
      400,
      'invalid_request_error',
      'stream_options must be an object',
      undefined,
      'stream_options',
    );
}

export function chatCompletionsApi(body: Record<string, unknown>): ClientApi {
  const options = isObject(body.stream_options) ? body.stream_options : {};
  const clientWantsUsage = options.include_usage === true;
  return {
    target(input) {
      if (input.account.type === 'oauth')
        return buildUpstreamRequest({ ...input, body: chatToResponsesRequest(input.body) });
      const sent = input.stream
        ? { ...input.body, stream_options: { ...options, include_usage: true } }
        : input.body;
      return buildUpstreamRequest({ ...input, body: sent, platformEndpoint: 'chat/completions' });
    },
    streamRelay: (account, rewrite, now, clientStreams) =>
      account.type === 'oauth'
        ? new ChatOverResponsesRelay(rewrite, now, clientWantsUsage, clientStreams)
        : new ChatChunkRelay(rewrite, now, clientWantsUsage),
    jsonAnswer: jsonAnswerOf(tokenUsageOfChat),
  };
}
