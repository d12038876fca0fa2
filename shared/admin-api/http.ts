/**
 * The admin API speaks in these shapes: a buffered request (the Function URL event or the local
 * server's request, reduced to what routing needs) and a JSON response. Every refusal is a
 * {@link GatewayError} answered with the OpenAI error shape the gateway uses,
 * `{"error":{"type":…,"message":…}}`; `shared/error-answers.ts` maps the operations'
 * `AdminError` kinds to statuses (`invalid` → 400, `not_found` → 404, `conflict` → 409).
 *
 * @example
 * ```ts
 * return jsonResponse(201, user, request.requestId, { etag: '"1"' });
 * ```
 */
import { answerOf } from '../error-answers.ts';
import type { GatewayError } from '../errors.ts';

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

/** The JSON refusal for an error already turned into an answer (see `shared/error-answers.ts`). */
export function errorResponse(error: GatewayError, requestId: string): AdminResponse {
  return jsonResponse(error.status, error.toBody(), requestId, error.responseHeaders());
}

/**
 * The response for a thrown value, or `undefined` when it is not a known refusal (the caller
 * logs it and answers 500 without its message, which may carry anything).
 */
export function refusalOf(error: unknown, requestId: string): AdminResponse | undefined {
  const answer = answerOf(error);
  return answer && errorResponse(answer, requestId);
}
