/**
 * The admin API, runtime-independent: an {@link AdminRequest} in, a JSON {@link AdminResponse}
 * out. The Lambda behind the IAM-authenticated Function URL and the local admin server are two
 * thin edges around {@link handleAdminRequest}; authentication happens at those edges.
 *
 * Every answer is JSON with `x-request-id`. An unknown path is a 404 `Invalid URL (METHOD /path)`,
 * a known path with the wrong method a 405 with `allow`, an unknown query parameter a 400, and an
 * unexpected failure a 500 whose message says nothing about its cause (the log has it, redacted).
 *
 * @example
 * ```ts
 * const response = await handleAdminRequest(
 *   { method: 'GET', path: '/admin/v1/users', query: {}, headers: {}, body: '', requestId: 'r1' },
 *   createAdminApiDeps({ client, requester, tables, logger }),
 * );
 * ```
 */

import { GatewayError } from '../errors.ts';
import { redactSecrets } from '../ops/redact.ts';
import { accountRoutes } from './account-routes.ts';
import { alertRoutes } from './alert-routes.ts';
import { catalogRoutes } from './catalog-routes.ts';
import { type AdminRequest, type AdminResponse, errorResponse, jsonResponse, refusalOf } from './http.ts';
import { keyRoutes } from './key-routes.ts';
import { reportRoutes } from './report-routes.ts';
import type { AdminApiDeps, AdminRoute } from './routes.ts';
import { userRoutes } from './user-routes.ts';

/** No admin request needs more; the largest is an account with its OAuth tokens. */
export const ADMIN_BODY_LIMIT_BYTES = 256 * 1024;

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  ...userRoutes,
  ...keyRoutes,
  ...accountRoutes,
  ...catalogRoutes,
  ...reportRoutes,
  ...alertRoutes,
];

/** Query parameters each GET route reads; any other is refused rather than ignored. */
const QUERY_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  '/admin/v1/subscriptions': ['user'],
  '/admin/v1/usage': ['by', 'id', 'from', 'to'],
  '/admin/v1/usage/summary': ['from', 'to', 'bucket', 'user', 'key', 'account', 'model', 'top'],
  '/admin/v1/usage/records': ['from', 'to', 'user', 'key', 'account', 'model', 'limit', 'cursor'],
  '/admin/v1/keys': ['user', 'archived'],
  '/admin/v1/users': ['archived'],
  '/admin/v1/alerts': ['days', 'limit'],
  '/admin/v1/ops': ['from', 'to', 'status', 'type', 'user', 'key', 'account', 'limit', 'cursor'],
};

interface Match {
  route: AdminRoute;
  params: Record<string, string>;
}

function matchPattern(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const segment = segments[index] as string;
    if (part.startsWith('{')) {
      let value: string;
      try {
        value = decodeURIComponent(segment);
      } catch {
        throw new GatewayError(400, 'invalid_request_error', 'The path is not validly percent-encoded.');
      }
      if (value === '') return undefined;
      params[part.slice(1, -1)] = value;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
}

function findRoute(method: string, path: string): Match {
  const segments = path.split('/').slice(1);
  const allowed: string[] = [];
  for (const route of ADMIN_ROUTES) {
    const params = matchPattern(route.pattern, segments);
    if (!params) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  if (allowed.length === 0)
    throw new GatewayError(404, 'invalid_request_error', `Invalid URL (${method} ${path})`);
  const allow = [...new Set(allowed)].join(', ');
  throw new GatewayError(
    405,
    'invalid_request_error',
    `Method ${method} is not allowed on ${path}; use ${allow}`,
  ).withHeaders({ allow });
}

function checkQuery(route: AdminRoute, query: AdminRequest['query']): void {
  const known = QUERY_PARAMETERS[route.pattern] ?? [];
  const unknown = Object.keys(query).find((name) => !known.includes(name));
  if (unknown !== undefined) {
    const takes = known.length === 0 ? 'no query parameters' : `only ${known.join(', ')}`;
    throw new GatewayError(
      400,
      'invalid_request_error',
      `Unknown query parameter "${unknown}"; this route takes ${takes}.`,
    );
  }
}

export interface HandleOptions {
  /**
   * Throw unexpected errors instead of answering 500: for in-process callers (the CLI on the
   * tables) that report the real cause (an unreachable endpoint, a missing table) themselves.
   */
  rethrowUnexpected?: boolean;
}

export async function handleAdminRequest(
  request: AdminRequest,
  deps: AdminApiDeps,
  options: HandleOptions = {},
): Promise<AdminResponse> {
  const started = Date.now();
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
  let response: AdminResponse;
  let pattern = 'unmatched';
  try {
    if (Buffer.byteLength(request.body) > ADMIN_BODY_LIMIT_BYTES) {
      throw new GatewayError(
        413,
        'invalid_request_error',
        `The request body is larger than ${ADMIN_BODY_LIMIT_BYTES} bytes.`,
      );
    }
    const { route, params } = findRoute(request.method.toUpperCase(), path);
    pattern = route.pattern;
    checkQuery(route, request.query);
    const result = await route.handle({ request, params, deps });
    response = jsonResponse(result.status ?? 200, result.body, request.requestId, result.headers);
  } catch (error) {
    const refusal = refusalOf(error, request.requestId);
    if (refusal) {
      response = refusal;
    } else if (options.rethrowUnexpected) {
      throw error;
    } else {
      deps.logger.error('admin request failed', {
        requestId: request.requestId,
        route: pattern,
        error: error instanceof Error ? `${error.name}: ${redactSecrets(error.message)}` : 'unknown',
      });
      response = errorResponse(GatewayError.internal(), request.requestId);
    }
  }
  // One line per request: what was asked of which route and how it ended; never a body.
  deps.logger.info('admin request', {
    requestId: request.requestId,
    method: request.method,
    route: pattern,
    ...(request.caller ? { caller: request.caller } : {}),
    status: response.status,
    latencyMs: Date.now() - started,
  });
  return response;
}
