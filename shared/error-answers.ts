/**
 * The one place a thrown error becomes the answer a client reads: its status, OpenAI error type,
 * message and `Retry-After`, as a {@link GatewayError}. The gateway (JSON before the stream
 * started, an SSE error frame after) and the admin API both answer through {@link answerOf}, so
 * the domain layers throw errors that say what happened ({@link NoAccountsError},
 * {@link QueueFullError}, {@link WaitTimedOutError}, {@link AdminError}) and never choose a status
 * or a wording. The messages are kept to the letter of docs/architecture.md.
 *
 * @example
 * ```ts
 * const answer = answerOf(error) ?? GatewayError.internal(); // unknown errors: logged, then a bare 500
 * ```
 */
import { AdminError } from './admin/admin-error.ts';
import {
  NoAccountsError,
  type NoAccountsReason,
  QueueFullError,
  WaitTimedOutError,
} from './domain/errors.ts';
import { type ErrorType, GatewayError } from './errors.ts';

const NO_ACCOUNTS = 'No available accounts';

function noAccountsMessage(reason: NoAccountsReason): string {
  switch (reason.kind) {
    case 'no_group_account':
      return `${NO_ACCOUNTS}: no account serves this group`;
    case 'no_model_account':
      return `${NO_ACCOUNTS}: none serves model ${reason.model}`;
    case 'all_disabled':
      return `${NO_ACCOUNTS}: every account for this model is disabled`;
    case 'all_in_error':
      return `${NO_ACCOUNTS}: every account for this model is in error state`;
    case 'all_cooling_down':
      return `${NO_ACCOUNTS}: all cooling down until ${new Date(reason.untilMs).toISOString()}`;
  }
}

const ADMIN_KIND_ANSWER = {
  invalid: [400, 'invalid_request_error'],
  not_found: [404, 'not_found_error'],
  conflict: [409, 'conflict_error'],
} as const satisfies Record<AdminError['kind'], readonly [number, ErrorType]>;

/**
 * The answer for a thrown value, or `undefined` when it is not a known refusal: the caller logs
 * it and answers {@link GatewayError.internal} without its message, which may carry anything.
 */
export function answerOf(error: unknown): GatewayError | undefined {
  if (error instanceof GatewayError) return error;
  if (error instanceof NoAccountsError) {
    const retryAfter = error.reason.kind === 'all_cooling_down' ? error.reason.retryAfterSeconds : undefined;
    return new GatewayError(503, 'api_error', noAccountsMessage(error.reason)).retryAfter(retryAfter);
  }
  if (error instanceof QueueFullError)
    return GatewayError.rateLimited('Too many pending requests, please retry later');
  if (error instanceof WaitTimedOutError)
    return GatewayError.rateLimited(`Concurrency limit exceeded for ${error.scope}, please retry later`);
  if (error instanceof AdminError) {
    const [status, type] = ADMIN_KIND_ANSWER[error.kind];
    return new GatewayError(status, type, error.message);
  }
  return undefined;
}

/**
 * The answer for any thrown value: {@link answerOf}'s, else {@link GatewayError.internal} once
 * `logUnknown` saw the error (its message may carry anything, so it never reaches the client).
 */
export function answerOrInternal(error: unknown, logUnknown: (message: string) => void): GatewayError {
  const answer = answerOf(error);
  if (answer) return answer;
  logUnknown(error instanceof Error ? error.message : String(error));
  return GatewayError.internal();
}
