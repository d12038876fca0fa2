/**
 * One try of one account: send the request upstream and either serve the answer to the client
 * (streamed frame by frame, or as one JSON body) or report why another account should try.
 * Nothing reaches the client before the upstream answered 2xx, which is what makes failover
 * invisible to it.
 */
import type { Account } from '../domain/types.ts';
import { GatewayError } from '../errors.ts';
import type { CutShortReason, TokenUsage, UsageSource } from '../events/usage-event.ts';
import type { AttemptContext, AttemptResult } from './attempt.ts';
import type { StreamRelay } from './client-api.ts';
import type { JsonAnswer } from './json-body.ts';
import type { ModelRewrite } from './model-rewrite.ts';
import { ObservedOutput, observedUsage } from './observed-usage.ts';
import type { ResponseChannel } from './response-channel.ts';
import {
  isIdleTimeout,
  sendUpstream,
  type UpstreamResponse,
  UpstreamUnavailableError,
} from './upstream-client.ts';
import { rejectOrFailover, upstreamIdHeader, upstreamRequestIdOf } from './upstream-rejection.ts';
import type { UpstreamTarget } from './upstream-request.ts';

const EMPTY_USAGE: TokenUsage = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 };

/** A served client got what its channel sent; one that left before anything was sent is counted as served whole. */
function clientStatusOf(channel: ResponseChannel): number {
  return channel.answer?.status ?? 200;
}

function codexHeadersOf(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith('x-codex-')));
}

export async function attemptAccount(
  context: AttemptContext,
  account: Account,
  target: UpstreamTarget,
): Promise<AttemptResult> {
  const { deps, channel } = context;
  let upstream: UpstreamResponse;
  const sentAt = deps.now();
  try {
    upstream = await sendUpstream(target, {
      signal: context.signal,
      firstByteTimeoutMs: deps.settings.firstByteTimeoutMs,
      idleTimeoutMs: deps.settings.idleTimeoutMs,
    });
  } catch (error) {
    if (error instanceof UpstreamUnavailableError && error.kind !== 'aborted') {
      deps.logger.warn('upstream unreachable', {
        accountId: account.id,
        kind: error.kind,
        error: error.message,
      });
      return { kind: 'failover', upstreamStatus: 502 };
    }
    throw error;
  }

  context.upstream.upstreamStatus = upstream.status;
  context.upstream.upstreamLatencyMs = deps.now() - sentAt;
  const upstreamRequestId = upstreamRequestIdOf(upstream.headers);
  if (upstreamRequestId) context.upstream.upstreamRequestId = upstreamRequestId;
  else delete context.upstream.upstreamRequestId;
  if (upstream.status >= 400) return rejectOrFailover(context, account, upstream);

  const rewrite: ModelRewrite | undefined =
    target.modelSent === context.modelRequested
      ? undefined
      : { from: target.modelSent, to: context.modelRequested };
  const codexHeaders = codexHeadersOf(upstream.headers);
  if (!target.upstreamStreams) {
    let answer: JsonAnswer;
    try {
      answer = await context.api.jsonAnswer(upstream.body, rewrite);
    } catch (error) {
      return jsonCutShort(context, account, error);
    }
    const { chunks, usage } = answer;
    channel.openJson(upstream.status, upstreamIdHeader(context), upstream.headers['content-type']);
    for (const chunk of chunks) await channel.write(chunk);
    return {
      kind: 'served',
      clientStatus: clientStatusOf(channel),
      upstreamStatus: upstream.status,
      // Passed on as it came when unreadable; nothing to bill from a body we cannot read.
      usage: usage ?? EMPTY_USAGE,
      usageSource: 'upstream',
      firstTokenAt: undefined,
      cutShortReason: undefined,
      codexHeaders,
      ...(upstreamRequestId ? { upstreamRequestId } : {}),
    };
  }
  return relayStream(context, account, upstream, rewrite, codexHeaders);
}

/**
 * A JSON answer that broke off after its 200 headers: nothing reached the client yet, so it is the
 * upstream's failure (502 `upstream_error` once every account failed) and another account may try.
 * A client that left, or a deadline that came, is no account's fault and ends the request.
 */
function jsonCutShort(context: AttemptContext, account: Account, error: unknown): AttemptResult {
  const reason = cutShortReasonOf(error, context);
  if (reason === 'client_disconnect') throw error;
  if (reason === 'deadline')
    throw new GatewayError(502, 'upstream_error', 'Upstream answer did not finish before the deadline');
  context.deps.logger.warn('upstream answer ended early', {
    accountId: account.id,
    reason,
    error: String(error),
  });
  return { kind: 'failover', upstreamStatus: 502 };
}

function cutShortReasonOf(error: unknown, context: AttemptContext): CutShortReason {
  if (context.deadlineSignal.aborted) return 'deadline';
  if (context.channel.isClosed || context.signal.aborted) return 'client_disconnect';
  return isIdleTimeout(error) ? 'idle_timeout' : 'upstream_error';
}

async function relayStream(
  context: AttemptContext,
  account: Account,
  upstream: UpstreamResponse,
  rewrite: ModelRewrite | undefined,
  codexHeaders: Record<string, string>,
): Promise<AttemptResult> {
  const { deps, channel } = context;
  const relay = context.api.streamRelay(account, rewrite, deps.now, context.clientStreams);
  let firstByteAt: number | undefined;
  let cutShortReason: CutShortReason | undefined;
  if (context.clientStreams) channel.openStream(upstreamIdHeader(context));
  try {
    for await (const chunk of upstream.body) {
      // Checked before reading the chunk: text that never reached the client is not billed.
      if (channel.isClosed) break;
      firstByteAt ??= deps.now();
      const frames = relay.push(chunk as Buffer);
      if (frames.length > 0 && context.clientStreams) await channel.write(frames);
      if (relay.observed?.full) await relay.observed.drain();
    }
    const rest = relay.flush();
    if (rest.length > 0 && context.clientStreams) await channel.write(rest);
    // Codex closes its connection as soon as it read `response.completed`: that is not a cut.
    if (!relay.terminalEvent) cutShortReason = channel.isClosed ? 'client_disconnect' : 'upstream_error';
  } catch (error) {
    if (!relay.terminalEvent) cutShortReason = cutShortReasonOf(error, context);
    deps.logger.warn('upstream stream ended early', { reason: cutShortReason, error: String(error) });
  } finally {
    upstream.body.destroy();
  }
  // A JSON client has seen nothing yet: another account may answer it whole.
  if (!context.clientStreams && (cutShortReason === 'upstream_error' || cutShortReason === 'idle_timeout'))
    return { kind: 'failover', upstreamStatus: 502 };
  // An upstream `error` event already told the client; a second error frame would only confuse it.
  if (cutShortReason && cutShortReason !== 'client_disconnect' && !relay.upstreamError) {
    const error = new GatewayError(502, 'upstream_error', `Upstream stream ended early (${cutShortReason})`);
    // A large frame cut in the middle is closed first, so the error frame stands on its own.
    await channel.fail(error, { sequenceNumber: relay.nextSequenceNumber, midFrame: relay.midFrame });
  } else if (!context.clientStreams) {
    // The ChatGPT backend only streams; a client that asked for JSON gets the final answer.
    const final = relay.finalBody();
    if (final) await channel.sendJson(final.status, final.body, upstreamIdHeader(context));
  }
  const billed = cutShortReason
    ? await billObserved(context, relay, cutShortReason)
    : { usage: relay.usage ?? EMPTY_USAGE, usageSource: 'upstream' as const };
  return {
    kind: 'served',
    clientStatus: clientStatusOf(channel),
    upstreamStatus: upstream.status,
    ...billed,
    firstTokenAt: relay.firstDeltaAt ?? firstByteAt,
    cutShortReason,
    codexHeaders,
    ...(context.upstream.upstreamRequestId ? { upstreamRequestId: context.upstream.upstreamRequestId } : {}),
  };
}

/**
 * A stream cut short carries no usage from the upstream: the gateway bills what it observed. The
 * input is billed when the client received text or left on its own (the upstream read the prompt
 * for it either way); a stream the upstream or the deadline broke before any text reached the
 * client served nothing and costs nothing. Never less than what the upstream did report.
 */
async function billObserved(
  context: AttemptContext,
  relay: StreamRelay,
  reason: CutShortReason,
): Promise<{ usage: TokenUsage; usageSource: UsageSource }> {
  const reported = relay.usage ?? EMPTY_USAGE;
  const output =
    context.clientStreams && relay.observed && relay.observed.chars > 0 ? relay.observed : undefined;
  if (!output && reason !== 'client_disconnect') return { usage: reported, usageSource: 'observed' };
  try {
    const usage = await observedUsage(context.requestBody, output ?? new ObservedOutput(), reported);
    return { usage, usageSource: 'observed' };
  } catch (error) {
    context.deps.logger.error('could not count observed usage', { error: String(error) });
    return { usage: reported, usageSource: 'observed' };
  }
}
