/**
 * The gateway's routes, runtime-independent: a {@link GatewayRequest} in, a
 * {@link GatewayResponse} out. Every refusal is OpenAI-shaped, including unknown routes (404
 * `Invalid URL (METHOD /path)`, as OpenAI words it) and wrong methods (405 with `allow`). Every
 * request gets a logger that stamps its request id on each line, and is observed once at its end
 * (metrics; an ops record for a failure of an authenticated caller).
 */
import { answerOf } from '../error-answers.ts';
import { GatewayError } from '../errors.ts';
import { usageReport } from '../usage/report.ts';
import { authenticate, type Caller } from './authenticate.ts';
import { chatCompletionsApi, checkChatBody } from './chat-api.ts';
import { type ClientApi, RESPONSES_API } from './client-api.ts';
import type { GatewayDeps } from './deps.ts';
import { errorResponse, type GatewayRequest, type GatewayResponse, jsonResponse } from './http.ts';
import { listModels } from './list-models.ts';
import { prefetchForResponses, type ResponsesPrefetch } from './request-prefetch.ts';
import { ResponseChannel } from './response-channel.ts';
import { parseResponsesBody, type ResponsesBody } from './responses-body.ts';
import { serveResponses } from './serve-responses.ts';

/** What the router reports at the request's end. */
interface RouteState {
  route: string;
  caller?: Caller;
  /** Set by routes that observe the request themselves (the streaming one, at its very end). */
  observed?: boolean;
  /** Reads the streaming route started before authentication finished. */
  prefetch?: ResponsesPrefetch;
}

type RouteHandler = (
  request: GatewayRequest,
  deps: GatewayDeps,
  caller: Caller,
  state: RouteState,
) => Promise<GatewayResponse>;

interface Route {
  method: string;
  /** Routes open to anyone (health); every other route authenticates the key first. */
  public?: boolean;
  /** Starts reads that overlap authentication (see request-prefetch.ts). */
  prefetch?: typeof prefetchForResponses;
  handle: RouteHandler;
}

/** The model routes: the same flow for both APIs, from the body's checks to the finished stream. */
const modelRoute =
  (api: 'responses' | 'chat'): RouteHandler =>
  async (request, deps, caller, state) => {
    const body = parseResponsesBody(request.body, deps.settings.bodyLimitBytes);
    if (api === 'chat') checkChatBody(body.json);
    deps.checkEligibility(caller, body.model, deps.now());
    const clientApi = api === 'chat' ? chatCompletionsApi(body.json) : RESPONSES_API;
    return serveModelRequest(request, caller, body, deps, state, clientApi);
  };

function serveModelRequest(
  request: GatewayRequest,
  caller: Caller,
  body: ResponsesBody,
  deps: GatewayDeps,
  state: RouteState,
  api: ClientApi,
): Promise<GatewayResponse> {
  const channel = new ResponseChannel();
  state.observed = true;
  serveResponses(request, caller, body, channel, deps, state.route, api, state.prefetch)
    .catch((error: unknown) => {
      deps.logger.error('request flow failed', { error: String(error) });
    })
    .finally(() => {
      // The edge waits for a status; a flow that ended without giving one must not hang it.
      if (!channel.isOpen) {
        const fallback = errorResponse(GatewayError.internal(), request.requestId);
        channel.open(fallback.status, fallback.headers);
        void channel.write(JSON.stringify(GatewayError.internal().toBody()));
      }
      channel.end();
    });
  return channel.response;
}

const models: RouteHandler = async (request, deps, caller) =>
  jsonResponse(200, await listModels(caller, deps), request.requestId);

const usage: RouteHandler = async (request, deps, caller) =>
  jsonResponse(200, await usageReport({ ...caller, now: deps.now() }, deps.usageReader), request.requestId);

const health: RouteHandler = async (request) => jsonResponse(200, { status: 'ok' }, request.requestId);

const ROUTES: Readonly<Record<string, Route>> = {
  '/v1/responses': { method: 'POST', prefetch: prefetchForResponses, handle: modelRoute('responses') },
  '/openai/v1/responses': { method: 'POST', prefetch: prefetchForResponses, handle: modelRoute('responses') },
  '/v1/chat/completions': { method: 'POST', prefetch: prefetchForResponses, handle: modelRoute('chat') },
  '/openai/v1/chat/completions': {
    method: 'POST',
    prefetch: prefetchForResponses,
    handle: modelRoute('chat'),
  },
  '/v1/models': { method: 'GET', handle: models },
  '/openai/v1/models': { method: 'GET', handle: models },
  '/v1/usage': { method: 'GET', handle: usage },
  '/openai/v1/usage': { method: 'GET', handle: usage },
  '/health': { method: 'GET', public: true, handle: health },
};

export async function handleGatewayRequest(
  request: GatewayRequest,
  baseDeps: GatewayDeps,
): Promise<GatewayResponse> {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  const deps: GatewayDeps = {
    ...baseDeps,
    logger: baseDeps.logger.createChild({ persistentKeys: { requestId: request.requestId } }),
  };
  const state: RouteState = { route: route ? path : 'unmatched' };
  let response: GatewayResponse;
  let failure: GatewayError | undefined;
  try {
    if (!route)
      throw new GatewayError(404, 'invalid_request_error', `Invalid URL (${request.method} ${path})`);
    if (request.method !== route.method) {
      const message = `Method ${request.method} is not allowed on ${path}; use ${route.method}`;
      failure = new GatewayError(405, 'invalid_request_error', message).withHeaders({ allow: route.method });
      response = errorResponse(failure, request.requestId);
    } else {
      state.prefetch = route.prefetch?.(request, deps);
      if (!route.public) state.caller = await authenticate(request, deps.directory, state.prefetch?.onKey);
      response = await route.handle(request, deps, state.caller as Caller, state);
    }
  } catch (error) {
    failure = answerOf(error);
    if (!failure) {
      deps.logger.error('unhandled gateway error', {
        error: error instanceof Error ? error.message : String(error),
      });
      failure = GatewayError.internal();
    }
    response = errorResponse(failure, request.requestId);
  }
  if (!state.observed) {
    await deps.observer.requestEnded(request, state.caller, {
      route: state.route,
      status: response.status,
      ...(failure ? { errorType: failure.type, message: failure.message } : {}),
    });
  }
  return response;
}
