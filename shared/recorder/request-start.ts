/**
 * The `started` usage record: what the gateway writes when a request takes its user slot (in the
 * same wave of DynamoDB requests, so it costs no round trip of its own), under the very key the
 * request's usage record will have. It makes every request that started visible to finance even
 * if the gateway dies before the request ends:
 *
 * - the request's event replaces it with the real record (the recorder's first write is allowed
 *   over a `started` or `lost` item, never over a `pending` or `applied` one), so nothing is
 *   counted twice;
 * - a request that is refused or fails without being served removes it again;
 * - when the gateway dies, nobody does either: once its claim (`leaseUntil`, the request's own
 *   deadline plus {@link STARTED_GRACE_MS}) has passed, the pending sweep closes it as `lost`,
 *   billed 0, with what was known when it started (user, key, group, billing mode, model,
 *   stream, route, start time). The account is not known then: it is chosen after the slot is taken.
 *
 * @example
 * ```ts
 * await starts.markStarted(startedRecordOf(start, Date.now()), leaseUntil);
 * ```
 */
import type { BillingMode } from '../domain/types.ts';
import type { StartedRecord } from '../store/request-starts.ts';
import type { UsageRecord } from './usage-record.ts';

/**
 * How long after the request's own deadline a `started` record may still be finished by its
 * event before the sweep calls it lost: the gateway publishes before its deadline, and this
 * leaves room for the publish and its retries. An event that comes later still replaces it.
 */
export const STARTED_GRACE_MS = 60_000;

/** What the gateway knows of a request when it takes the user slot. */
export interface RequestStart {
  requestId: string;
  /** Epoch ms the request arrived (the usage record's `startedAt`). */
  receivedAt: number;
  userId: string;
  apiKeyId: string;
  groupId: string;
  billingMode: BillingMode;
  rateMultiplier: number;
  modelRequested: string;
  stream: boolean;
  /** The route the client called. */
  route: string;
}

export function startedRecordOf(start: RequestStart, nowMs: number): StartedRecord {
  const startedAt = new Date(start.receivedAt).toISOString();
  return {
    kind: 'usage',
    eventVersion: 1,
    requestId: start.requestId,
    startedAt,
    day: startedAt.slice(0, 10),
    userId: start.userId,
    apiKeyId: start.apiKeyId,
    groupId: start.groupId,
    billingMode: start.billingMode,
    rateMultiplier: start.rateMultiplier,
    modelRequested: start.modelRequested,
    stream: start.stream,
    route: start.route,
    state: 'started',
    recordedAt: new Date(nowMs).toISOString(),
  };
}

/**
 * The fields the sweep sets when it closes a `started` record as `lost`: nothing is known of
 * its usage, so every amount is 0 (and nothing is charged), stated explicitly so that sums over
 * an export need no special case.
 */
export function lostRecordFields(lostAtMs: number): Partial<UsageRecord> {
  return {
    state: 'lost',
    lostAt: new Date(lostAtMs).toISOString(),
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    costNano: 0,
    chargeNano: 0,
    billedNano: 0,
  };
}
