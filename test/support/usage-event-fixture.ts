/**
 * The usage event of one served request, as the gateway publishes it: a balance-billed, unstreamed
 * gpt-5.1 answer with status 200, no failover, 10 input and 1 output token, with what the test
 * sets. The event's fields live here once, so a field added to the event is added in one place.
 * `startedAt` has no default: a test names its instant, so no fixture reads the wall clock.
 *
 * @example
 * ```ts
 * await recorder.record(servedRequestEvent({ requestId: 'req_1', userId, apiKeyId, accountId, startedAt }));
 * ```
 */
import type { UsageEventDetail } from '#shared/events/usage-event.ts';

export type ServedRequestFields = Pick<
  UsageEventDetail,
  'requestId' | 'userId' | 'apiKeyId' | 'accountId' | 'startedAt'
> &
  Partial<UsageEventDetail>;

export function servedRequestEvent(fields: ServedRequestFields): UsageEventDetail {
  return {
    version: 1,
    endedAt: fields.startedAt,
    groupId: 'default',
    billingMode: 'balance',
    rateMultiplier: 1,
    modelRequested: 'gpt-5.1',
    modelSent: 'gpt-5.1',
    stream: false,
    status: 200,
    upstreamStatus: 200,
    usage: { inputTokens: 10, cachedInputTokens: 0, outputTokens: 1, reasoningTokens: 0 },
    cutShort: false,
    durationMs: 5,
    failovers: 0,
    ...fields,
  };
}
