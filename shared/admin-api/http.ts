/**
 * The admin API speaks in these shapes: a buffered request (the Function URL event or the local
 * server's request, reduced to what routing needs) and a JSON response. Every refusal has the
 * OpenAI error shape the gateway uses, `{"error":{"type":…,"message":…}}`, with a status taken
 * from the {@link AdminError} kind: `invalid` → 400, `not_found` → 404, `conflict` → 409.
 *
 * @example
 * ```ts
 * return jsonResponse(201, user, request.requestId, { etag: '"1"' });
 * ```
 */
import { AdminError } from '../admin/admin-error.ts';

export interface AdminRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Query-string parameters; a repeated parameter keeps its first value. */
  query: Record<string, string | undefined>;
  /** Header names lower-cased. */
  headers: Record<string, string | undefined>;
  /** The body as text (JSON is all the API reads); empty when there is none. */
  body: string;
  /** Returned as `x-request-id` and present in every log line of the request. */
  requestId: string;
  /** Who asked, for the audit line: the IAM principal on AWS, `local-admin` locally. */
  caller?: string;
}

export interface AdminResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type AdminErrorType =
  | 'invalid_request_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'authentication_error'
  | 'api_error';

/** A refusal decided by the HTTP layer itself (route, method, body, auth), not by an operation. */
export class AdminHttpError extends Error {
  readonly status: number;
  readonly type: AdminErrorType;
  readonly headers: Record<string, string>;

  constructor(status: number, type: AdminErrorType, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'AdminHttpError';
    this.status = status;
    this.type = type;
    this.headers = headers;
  }
}

const KIND_STATUS = {
  invalid: [400, 'invalid_request_error'],
  not_found: [404, 'not_found_error'],
  conflict: [409, 'conflict_error'],
} as const satisfies Record<AdminError['kind'], readonly [number, AdminErrorType]>;

export function jsonResponse(
  status: number,
  payload: unknown,
  requestId: string,
  extra: Record<string, string> = {},
): AdminResponse {
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'x-request-id': requestId,
      ...extra,
    },
    body: JSON.stringify(payload),
  };
}

export function errorResponse(
  status: number,
  type: AdminErrorType,
  message: string,
  requestId: string,
  extra: Record<string, string> = {},
): AdminResponse {
  return jsonResponse(status, { error: { type, message } }, requestId, extra);
}

/**
 * The response for a thrown value, or `undefined` when it is not a known refusal (the caller
 * logs it and answers 500 without its message, which may carry anything).
 */
export function refusalOf(error: unknown, requestId: string): AdminResponse | undefined {
  if (error instanceof AdminHttpError) {
    return errorResponse(error.status, error.type, error.message, requestId, error.headers);
  }
  if (error instanceof AdminError) {
    const [status, type] = KIND_STATUS[error.kind];
    return errorResponse(status, type, error.message, requestId);
  }
  return undefined;
}
