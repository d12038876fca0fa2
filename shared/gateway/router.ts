/**
 * The gateway's routes, runtime-independent: a {@link GatewayRequest} in, a
 * {@link GatewayResponse} out. Every refusal is OpenAI-shaped, including unknown routes (404
 * `Invalid URL (METHOD /path)`, as OpenAI words it) and wrong methods (405 with `allow`). Every
 * request gets a logger that stamps its request id on each line, answers through one
 * {@link ResponseChannel} (response-channel.ts decides what the client is sent), and is observed
 * once, in {@link answer}'s `finally` (metrics; an ops record for a failure of an authenticated
 * caller), before its body ends.
 */
import { chatErrorFrame } from '../chat/chat-stream.ts';
import { answerOrInternal } from '../error-answers.ts';
import { GatewayError, sseErrorFrame } from '../errors.ts';
import { usageReport } from '../usage/report.ts';
import { authenticate, type Caller } from './authenticate.ts';
import { chatCompletionsApi, checkChatBody } from './chat-api.ts';
import { RESPONSES_API } from './client-api.ts';
import type { GatewayDeps } from './deps.ts';
import type { GatewayRequest, GatewayResponse } from './http.ts';
import { listModels } from './list-models.ts';
import { requestLogger } from './request-logger.ts';
import type { RouteDetails } from './request-observer.ts';
import { prefetchForResponses, type ResponsesPrefetch } from './request-prefetch.ts';
import { type ErrorFrame, ResponseChannel } from './response-channel.ts';
import { parseResponsesBody } from './responses-body.ts';
import { serveResponses } from './serve-responses.ts';

/** What a route is given: its request, the channel it answers through and what the router learned. */
interface RouteCall {
  request: GatewayRequest;
  deps: GatewayDeps;
  /** Authenticated; public routes get none and must not read it. */
  caller: Caller;
  channel: ResponseChannel;
  /** The route as matched, for the request's records. */
  route: string;
  /** Reads the route started before authentication finished. */
  prefetch: ResponsesPrefetch | undefined;
}

/** Answers through `call.channel`; returns what it tells of the request besides the answer. */
type RouteHandler = (call: RouteCall) => Promise<RouteDetails | undefined>;

interface Route {
  method: string;
  /** Routes open to anyone (health); every other route authenticates the key first. */
  public?: boolean;
  /** Starts reads that overlap authentication (see request-prefetch.ts). */
  prefetch?: typeof prefetchForResponses;
  /** How an error reads once the route's stream started; the Responses `error` event by default. */
  errorFrame?: ErrorFrame;
  handle: RouteHandler;
}

/** What a model request's bytes become once its body is parsed and checked. */
const SERVED_BODY = Buffer.alloc(0);

/** The model routes: the same flow for both APIs, from the body's checks to the finished stream. */
function modelRoute(api: 'responses' | 'chat'): Route {
  return {
    method: 'POST',
    prefetch: prefetchForResponses,
    errorFrame: api === 'chat' ? chatErrorFrame : sseErrorFrame,
    async handle({ request, deps, caller, channel, route, prefetch }) {
      const body = parseResponsesBody(request.body, deps.settings.bodyLimitBytes);
      if (api === 'chat') checkChatBody(body.json);
      deps.checkEligibility(caller, body.model, deps.now());
      const clientApi = api === 'chat' ? chatCompletionsApi(body.json) : RESPONSES_API;
      // The parsed body is all the request reads from here on, and the request lives as long as
      // its stream: the bytes are let go, or a large prompt would be held twice for all of it. A
      // request refused above keeps them (the local access log reads its model from them).
      request.body = SERVED_BODY;
      return serveResponses({ request, caller, body, channel, deps, route, api: clientApi, prefetch });
    },
  };
}

/** A route that answers with one JSON document. */
function jsonRoute(method: string, payload: (call: RouteCall) => Promise<unknown>, isPublic = false): Route {
  return {
    method,
    ...(isPublic ? { public: true } : {}),
    async handle(call) {
      await call.channel.sendJson(200, await payload(call));
      return undefined;
    },
  };
}

const responses = modelRoute('responses');
const chat = modelRoute('chat');
const models = jsonRoute('GET', ({ caller, deps }) => listModels(caller, deps));
const usage = jsonRoute('GET', ({ caller, deps }) =>
  usageReport({ ...caller, now: deps.now() }, deps.usageReader),
);

const ROUTES: Readonly<Record<string, Route>> = {
  '/v1/responses': responses,
  '/openai/v1/responses': responses,
  '/v1/chat/completions': chat,
  '/openai/v1/chat/completions': chat,
  '/v1/models': models,
  '/openai/v1/models': models,
  '/v1/usage': usage,
  '/openai/v1/usage': usage,
  '/health': jsonRoute('GET', async () => ({ status: 'ok' }), true),
};

/**
 * The core's one entry: resolves with status and headers as soon as the route fixed them, while
 * the route goes on writing the body; the body ends only once the request was observed.
 */
export function handleGatewayRequest(
  request: GatewayRequest,
  baseDeps: GatewayDeps,
): Promise<GatewayResponse> {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  const deps: GatewayDeps = {
    ...baseDeps,
    logger: requestLogger(baseDeps.logger, request.requestId),
  };
  const channel = new ResponseChannel(request.requestId, {
    clientGone: request.clientGone,
    errorFrame: route?.errorFrame,
  });
  void answer(request, deps, path, route, channel);
  return channel.response;
}

/** Runs the route, tells the client of any failure, and observes the request once, whatever happened. */
async function answer(
  request: GatewayRequest,
  deps: GatewayDeps,
  path: string,
  route: Route | undefined,
  channel: ResponseChannel,
): Promise<void> {
  const routeName = route ? path : 'unmatched';
  let caller: Caller | undefined;
  let details: RouteDetails | undefined;
  try {
    if (!route)
      throw new GatewayError(404, 'invalid_request_error', `Invalid URL (${request.method} ${path})`);
    if (request.method !== route.method) {
      const message = `Method ${request.method} is not allowed on ${path}; use ${route.method}`;
      throw new GatewayError(405, 'invalid_request_error', message).withHeaders({ allow: route.method });
    }
    const prefetch = route.prefetch?.(request, deps);
    if (!route.public) caller = await authenticate(request, deps.directory, prefetch?.onKey);
    details = await route.handle({
      request,
      deps,
      caller: caller as Caller,
      channel,
      route: routeName,
      prefetch,
    });
  } catch (error) {
    await channel.fail(
      answerOrInternal(error, (message) => deps.logger.error('request failed', { error: message })),
    );
  } finally {
    try {
      // The edge waits for a status: a route that ended without giving one must not hang it.
      const answered = channel.answer ?? (await channel.fail(GatewayError.internal()));
      await deps.observer.requestEnded(request, caller, { route: routeName, ...details, ...answered });
    } catch (error) {
      deps.logger.error('request not observed', { error: String(error) });
    } finally {
      channel.end();
    }
  }
}
