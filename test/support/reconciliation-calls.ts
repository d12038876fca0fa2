/**
 * Sends one planned request of the reconciliation test the way its kind needs: requests the
 * gateway serves in full go through the official `openai` SDK (streamed or not), the rest as raw
 * HTTP so the test sees the status, the SSE error frame, or hangs up mid-stream. Every outcome
 * carries the gateway's request id (`x-request-id`), the id its usage record must have.
 */
import type OpenAI from 'openai';
import { startCall } from './gateway-calls.ts';
import type { PlannedRequest } from './reconciliation-plan.ts';

export interface Caller {
  secret: string;
  client: OpenAI;
}

export interface CallOutcome {
  request: PlannedRequest;
  requestId: string;
  status: number;
  /** The usage of `response.completed` as the client received it, when it did. */
  usage?: { input_tokens: number; output_tokens: number };
  /** The raw body, for requests not sent through the SDK. */
  text?: string;
}

async function throughSdk(caller: Caller, request: PlannedRequest): Promise<CallOutcome> {
  const body = { model: request.model, input: request.input };
  if (request.stream) {
    const { data, request_id } = await caller.client.responses
      .create({ ...body, stream: true })
      .withResponse();
    let usage: CallOutcome['usage'];
    for await (const event of data) {
      if (event.type === 'response.completed') usage = event.response.usage ?? undefined;
    }
    return { request, requestId: request_id ?? '', status: 200, ...(usage ? { usage } : {}) };
  }
  const { data, request_id } = await caller.client.responses.create(body).withResponse();
  return { request, requestId: request_id ?? '', status: 200, ...(data.usage ? { usage: data.usage } : {}) };
}

export async function perform(
  baseUrl: string,
  caller: Caller,
  request: PlannedRequest,
): Promise<CallOutcome> {
  const { kind } = request;
  if (kind === 'ok' || kind === 'failover' || kind === 'rateLimited') return throughSdk(caller, request);
  const running = startCall(baseUrl, caller.secret, {
    model: request.model,
    input: request.input,
    stream: request.stream,
  });
  if (kind === 'abandoned') {
    // Sixteen clients on five-slot users: a stream may wait its user's and its account's 30 s
    // for a slot (quiet for its first 10 s) before its text starts.
    await running.until((text) => text.includes('event: response.output_text.delta'), 120_000);
    running.abort();
  }
  const result = await running.finished;
  return {
    request,
    requestId: result.headers.get('x-request-id') ?? '',
    status: result.status,
    text: result.text,
  };
}
