/**
 * The failure branch of one attempt: an upstream answer of 400 or more is judged by what it means
 * (`upstream-failure.ts`), the account's health written, and either another account tried or
 * the upstream's own answer handed to the client (a refusal the request caused, or the second
 * identical ambiguous refusal of the same request).
 */
import type { Account, AccountHealth } from '../domain/types.ts';
import { GatewayError, mapUpstreamError } from '../errors.ts';
import { redactAndCap } from '../ops/redact.ts';
import type { AttemptContext, AttemptResult } from './attempt.ts';
import type { GatewayDeps } from './deps.ts';
import { readBodyText, type UpstreamResponse } from './upstream-client.ts';
import { parseUpstreamError } from './upstream-error-meaning.ts';
import { judgeUpstreamFailure } from './upstream-failure.ts';

const ERROR_BODY_LIMIT = 64 * 1024;
const ERROR_MESSAGE_MAX_LENGTH = 1000;

/** OpenAI's id of its answer, passed on only when it looks like one (it ends up in headers and records). */
export function upstreamRequestIdOf(headers: Record<string, string>): string | undefined {
  const id = headers['x-request-id'] ?? headers['x-oai-request-id'];
  return id !== undefined && /^[\w.:-]{1,200}$/.test(id) ? id : undefined;
}

/** `x-upstream-request-id` on whatever the client gets from this upstream answer. */
export function upstreamIdHeader(context: AttemptContext): Record<string, string> {
  const id = context.upstream.upstreamRequestId;
  return id ? { 'x-upstream-request-id': id } : {};
}

/** Writes an account's health; a failed write is logged, never a failure of the request. */
export async function writeHealth(
  deps: GatewayDeps,
  accountId: string,
  health: AccountHealth,
): Promise<void> {
  await deps.accountHealth.setHealth(accountId, health).catch((error: unknown) => {
    deps.logger.error('could not record account health', { accountId, error: String(error) });
  });
}

export async function rejectOrFailover(
  context: AttemptContext,
  account: Account,
  upstream: UpstreamResponse,
): Promise<AttemptResult> {
  const { deps } = context;
  const text = await readBodyText(upstream.body, ERROR_BODY_LIMIT).catch(() => '');
  const info = parseUpstreamError(upstream.status, text, deps.now());
  const verdict = judgeUpstreamFailure(account, info, upstream.headers, deps.settings, deps.now());
  const upstreamMessage = redactAndCap(info.message, ERROR_MESSAGE_MAX_LENGTH);
  context.upstream.upstreamMessage = upstreamMessage;
  // A second account refusing this request the same way: the request caused it, not the accounts.
  const sameRefusal = verdict.meaning === 'ambiguous' && context.priorRefusal === verdict.fingerprint;
  const failover = verdict.failover && !sameRefusal;
  deps.logger.warn('upstream error', {
    accountId: account.id,
    upstreamStatus: upstream.status,
    upstreamCode: info.code,
    meaning: verdict.meaning,
    failover,
    upstreamMessage,
  });
  if (context.canReauth && upstream.status === 401)
    return { kind: 'reauth', upstreamStatus: 401, ...(verdict.health ? { health: verdict.health } : {}) };
  if (verdict.health) await writeHealth(deps, account.id, verdict.health);
  if (failover) {
    return {
      kind: 'failover',
      upstreamStatus: upstream.status,
      ...(verdict.health?.until !== undefined ? { until: verdict.health.until } : {}),
      ...(verdict.deferredHealth
        ? { refusal: { fingerprint: verdict.fingerprint, health: verdict.deferredHealth } }
        : {}),
    };
  }
  if (upstream.status >= 500) throw mapUpstreamError(upstream.status);
  // The client's own mistake (or a refusal every account gives it): OpenAI's answer goes back.
  // A body in another shape (the ChatGPT backend's `{"detail":…}`, a proxy's HTML page) is given
  // OpenAI's; a page's text is no message for a client.
  const message =
    (info.shape !== 'text' && upstreamMessage) || `Upstream rejected the request (HTTP ${upstream.status})`;
  const asItCame = info.shape === 'openai';
  const rewritten = new GatewayError(upstream.status, 'invalid_request_error', message, info.code);
  await context.channel.fail(new GatewayError(upstream.status, 'invalid_request_error', message), {
    body: asItCame
      ? { text, contentType: upstream.headers['content-type'] }
      : { text: JSON.stringify(rewritten.toBody()), contentType: undefined },
    errorType: info.type || 'invalid_request_error',
    headers: upstreamIdHeader(context),
  });
  return { kind: 'rejected', upstreamStatus: upstream.status };
}
