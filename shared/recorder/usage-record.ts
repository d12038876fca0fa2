/**
 * The usage record: one per served request, the row finance reads. It is built once, from the
 * event and the price in force when the event is first recorded, and stored with every amount
 * already computed; a redelivery or a takeover applies the stored amounts and never prices the
 * request again, so a price change between two deliveries cannot change a charge.
 *
 * docs/finance.md documents every field; keep the two in step.
 *
 * @example
 * ```ts
 * const record = buildUsageRecord(detail, await priceBook.resolve(detail.modelRequested, detail.modelSent), now);
 * record.billedNano; // what the balance or the subscription windows are charged
 * ```
 */
import { computeCost, multiplierToPpm } from '../billing/cost.ts';
import type { PriceSource, ResolvedPrice } from '../billing/price-book.ts';
import type { BillingMode } from '../domain/types.ts';
import type { CutShortReason, UsageEventDetail, UsageSource } from '../events/usage-event.ts';

/**
 * `started`: the gateway took the request's user slot and the request has not ended yet (no
 * event so far); `pending`: its event is being recorded; `applied`: every charge is in place;
 * `lost`: the gateway stopped before the request ended and no event ever came, so the sweep
 * closed it with what was known at the start and nothing billed. Only `applied` records are
 * billed; an event that arrives for a `started` or `lost` item replaces it.
 */
export type RecordState = 'started' | 'pending' | 'applied' | 'lost';

/** The writes one record causes besides itself, each applied exactly once. */
export type EffectName =
  | 'balance'
  | 'subscription'
  | 'keyQuota'
  | 'keyDaily'
  | 'modelAccountDaily'
  | 'account'
  // Records applied before the aggregates were folded (a user's day is its keys' days, an
  // account's and a model's are one item per model, account and shard) name these.
  | 'userDaily'
  | 'accountDaily'
  | 'modelDaily';

/**
 * `applied`: done (by this delivery or an earlier one); `skipped`: nothing to do (zero amount,
 * other billing mode); `missing`: the item to charge no longer exists (logged as an error);
 * `stale`: the account already holds newer usage data.
 */
export type EffectResult = 'applied' | 'skipped' | 'missing' | 'stale';

export interface UsageRecord {
  kind: 'usage';
  eventVersion: 1;
  requestId: string;
  /** ISO time the request arrived (normalised to `toISOString`); the record's time. */
  startedAt: string;
  endedAt: string;
  /** UTC day of `startedAt`, `yyyy-mm-dd`: the day its aggregates count it under. */
  day: string;
  userId: string;
  apiKeyId: string;
  groupId: string;
  accountId: string;
  modelRequested: string;
  modelSent: string;
  /** The name the price was found under; `*` when the default price applied. */
  pricedModel: string;
  priceSource: PriceSource;
  inputTokens: number;
  /** Part of `inputTokens` served from the prompt cache (never more than `inputTokens`). */
  cachedInputTokens: number;
  outputTokens: number;
  /** Part of `outputTokens` spent on reasoning (billed as output, not again). */
  reasoningTokens: number;
  inputPicoPerToken: number;
  cachedInputPicoPerToken: number;
  outputPicoPerToken: number;
  /** (inputTokens − cachedInputTokens) × inputPicoPerToken, exact. */
  inputCostPico: number;
  cachedInputCostPico: number;
  outputCostPico: number;
  totalCostPico: number;
  /** List cost in nano-USD, rounded half up once from `totalCostPico`. */
  costNano: number;
  rateMultiplier: number;
  multiplierPpm: number;
  /** List cost × multiplier in nano-USD, rounded half up once. */
  chargeNano: number;
  billingMode: BillingMode;
  /**
   * What this request moved: taken from the balance (balance mode: `chargeNano`) or added to the
   * subscription windows (subscription mode: `costNano`). Also what the key's quota counts.
   */
  billedNano: number;
  stream: boolean;
  /** The route the client called; absent on records of events from before it was carried. */
  route?: string;
  status: number;
  upstreamStatus: number;
  /** The upstream's id of the answer (OpenAI's `x-request-id`), when it gave one. */
  upstreamRequestId?: string;
  durationMs: number;
  firstTokenMs?: number;
  failovers: number;
  cutShort: boolean;
  cutShortReason?: CutShortReason;
  /** `upstream`: the upstream's usage report; `observed`: counted by the gateway (a stream cut short). */
  usageSource: UsageSource;
  state: RecordState;
  /** ISO time the recorder first wrote the record. */
  recordedAt: string;
  /** ISO time every effect was in place. */
  appliedAt?: string;
  /** ISO time the sweep closed a `started` record whose request never ended as `lost`. */
  lostAt?: string;
  effects?: Partial<Record<EffectName, EffectResult>>;
}

/** Daily counters a record adds to its user, key, account and model aggregates. */
export interface AggregateCounters {
  requests: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costNano: number;
  chargeNano: number;
  billedNano: number;
  cutShortRequests: number;
  failedRequests: number;
}

export const AGGREGATE_COUNTERS: readonly (keyof AggregateCounters)[] = [
  'requests',
  'inputTokens',
  'cachedInputTokens',
  'outputTokens',
  'reasoningTokens',
  'costNano',
  'chargeNano',
  'billedNano',
  'cutShortRequests',
  'failedRequests',
];

export function buildUsageRecord(
  detail: UsageEventDetail,
  resolved: ResolvedPrice,
  now: number,
): UsageRecord {
  const multiplierPpm = multiplierToPpm(detail.rateMultiplier);
  const cost = computeCost(detail.usage, resolved.price, multiplierPpm);
  const startedAt = new Date(detail.startedAt).toISOString();
  const record: UsageRecord = {
    kind: 'usage',
    eventVersion: 1,
    requestId: detail.requestId,
    startedAt,
    endedAt: new Date(detail.endedAt).toISOString(),
    day: startedAt.slice(0, 10),
    userId: detail.userId,
    apiKeyId: detail.apiKeyId,
    groupId: detail.groupId,
    accountId: detail.accountId,
    modelRequested: detail.modelRequested,
    modelSent: detail.modelSent,
    pricedModel: resolved.model,
    priceSource: resolved.source,
    inputTokens: detail.usage.inputTokens,
    cachedInputTokens: cost.cachedInputTokens,
    outputTokens: detail.usage.outputTokens,
    reasoningTokens: detail.usage.reasoningTokens,
    inputPicoPerToken: resolved.price.inputPicoPerToken,
    cachedInputPicoPerToken: resolved.price.cachedInputPicoPerToken,
    outputPicoPerToken: resolved.price.outputPicoPerToken,
    inputCostPico: cost.inputCostPico,
    cachedInputCostPico: cost.cachedInputCostPico,
    outputCostPico: cost.outputCostPico,
    totalCostPico: cost.totalCostPico,
    costNano: cost.costNano,
    rateMultiplier: detail.rateMultiplier,
    multiplierPpm,
    chargeNano: cost.chargeNano,
    billingMode: detail.billingMode,
    billedNano: detail.billingMode === 'balance' ? cost.chargeNano : cost.costNano,
    stream: detail.stream,
    status: detail.status,
    upstreamStatus: detail.upstreamStatus,
    durationMs: detail.durationMs,
    failovers: detail.failovers,
    cutShort: detail.cutShort,
    usageSource: detail.usageSource ?? 'upstream',
    state: 'pending',
    recordedAt: new Date(now).toISOString(),
  };
  if (detail.firstTokenMs !== undefined) record.firstTokenMs = detail.firstTokenMs;
  if (detail.route !== undefined) record.route = detail.route;
  if (detail.upstreamRequestId !== undefined) record.upstreamRequestId = detail.upstreamRequestId;
  if (detail.cutShortReason !== undefined) record.cutShortReason = detail.cutShortReason;
  return record;
}

export function aggregateCountersOf(record: UsageRecord): AggregateCounters {
  return {
    requests: 1,
    inputTokens: record.inputTokens,
    cachedInputTokens: record.cachedInputTokens,
    outputTokens: record.outputTokens,
    reasoningTokens: record.reasoningTokens,
    costNano: record.costNano,
    chargeNano: record.chargeNano,
    billedNano: record.billedNano,
    cutShortRequests: record.cutShort ? 1 : 0,
    failedRequests: record.status >= 400 ? 1 : 0,
  };
}
