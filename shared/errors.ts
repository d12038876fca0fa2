/**
 * Errors are values with a type, a status and an OpenAI-shaped body, defined once. Everything
 * the gateway and the admin API refuse goes through {@link GatewayError}, so the JSON a client
 * reads and the SSE `event: error` it reads after a stream started carry the same type and
 * message. Domain errors (`shared/domain/errors.ts`, `AdminError`) become one in
 * `shared/error-answers.ts`.
 *
 * @example
 * ```ts
 * throw GatewayError.invalidRequest('model is required');
 * ```
 */
export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'upstream_error'
  | 'api_error';

export interface OpenAIErrorBody {
  error: { type: string; message: string; code?: string | null; param?: string | null };
}

/** `Retry-After` of a 429 or 503 that knows no better time: a slot or an account may free by then. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

export class GatewayError extends Error {
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string | undefined;
  /** The request field at fault, when there is one (OpenAI's `error.param`). */
  readonly param: string | undefined;
  /** Whole seconds until a retry may succeed; sent as `Retry-After` on a 429 or 503. */
  retryAfterSeconds: number | undefined;
  /** Headers the refusal itself calls for, such as `allow` on a 405. */
  readonly #headers: Record<string, string> = {};

  constructor(status: number, type: ErrorType, message: string, code?: string, param?: string) {
    super(message);
    this.name = 'GatewayError';
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
  }

  /** Names when a retry may succeed (rounded up to whole seconds, at least 1); ignores undefined. */
  retryAfter(seconds: number | undefined): this {
    if (Number.isFinite(seconds)) this.retryAfterSeconds = Math.max(1, Math.ceil(seconds as number));
    return this;
  }

  /** Adds headers the answer must carry, such as `allow` on a 405. */
  withHeaders(headers: Record<string, string>): this {
    Object.assign(this.#headers, headers);
    return this;
  }

  /** Headers the answer carries besides the body: `Retry-After` on every 429 and 503, and {@link withHeaders}'. */
  responseHeaders(): Record<string, string> {
    if (this.status !== 429 && this.status !== 503) return { ...this.#headers };
    return { 'retry-after': String(this.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS), ...this.#headers };
  }

  toBody(): OpenAIErrorBody {
    const error: OpenAIErrorBody['error'] = { type: this.type, message: this.message };
    if (this.code) error.code = this.code;
    if (this.param) error.param = this.param;
    return { error };
  }

  static invalidRequest(message: string, status = 400): GatewayError {
    return new GatewayError(status, 'invalid_request_error', message);
  }
  static unauthorized(message = 'Invalid API key'): GatewayError {
    return new GatewayError(401, 'authentication_error', message);
  }
  static forbidden(message: string, code?: string): GatewayError {
    return new GatewayError(403, 'permission_error', message, code);
  }
  static rateLimited(message: string, code?: string): GatewayError {
    return new GatewayError(429, 'rate_limit_error', message, code);
  }
  static notFound(message: string): GatewayError {
    return new GatewayError(404, 'not_found_error', message);
  }
  static internal(message = 'Internal error, please retry later'): GatewayError {
    return new GatewayError(500, 'api_error', message);
  }
}

/**
 * What a client sees once every account has failed: the status and message table of docs/architecture.md
 * ("When every account failed"), kept to the letter so clients of other gateways read the same messages.
 */
export function mapUpstreamError(upstreamStatus: number): GatewayError {
  switch (upstreamStatus) {
    case 401:
      return new GatewayError(
        502,
        'upstream_error',
        'Upstream authentication failed, please contact administrator',
      );
    case 403:
      return new GatewayError(
        502,
        'upstream_error',
        'Upstream access forbidden, please contact administrator',
      );
    case 429:
      return new GatewayError(429, 'rate_limit_error', 'Upstream rate limit exceeded, please retry later');
    case 529:
      return new GatewayError(503, 'upstream_error', 'Upstream service overloaded, please retry later');
    case 500:
    case 502:
    case 503:
    case 504:
      return new GatewayError(502, 'upstream_error', 'Upstream service temporarily unavailable');
    default:
      return new GatewayError(502, 'upstream_error', 'Upstream request failed');
  }
}

/**
 * The SSE frame that reports an error once status 200 has already left, in the shape of the
 * Responses API's own `error` event (`type`, `code`, `message`, `param`, `sequence_number`), which
 * the official SDKs turn into an `APIError` with that code and message. `code` is the error's code,
 * else its type (`upstream_error`, `rate_limit_error`, …); `sequenceNumber` follows the last event
 * the client received.
 */
export function sseErrorFrame(error: GatewayError, sequenceNumber = 0): string {
  const event = {
    type: 'error',
    code: error.code ?? error.type,
    message: error.message,
    param: null,
    sequence_number: sequenceNumber,
  };
  return `event: error\ndata: ${JSON.stringify(event)}\n\n`;
}
