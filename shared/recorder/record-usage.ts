/**
 * The recorder: turns one usage event into one usage record and its charges, exactly once, with
 * single-item conditional writes only (no transactions: dynalite has none).
 *
 * 1. The record `REQ#<id>` is the anchor. The first delivery creates it `pending`, with every
 *    amount computed, and holding a claim that ends after this delivery's deadline.
 * 2. Each effect the record's plan names (`effect-plan.ts`: balance or subscription windows, key
 *    quota, four daily aggregates) is one UpdateItem that applies the amount and adds the request
 *    id to the item's marker set, on the condition that the set does not hold it yet: however
 *    often it runs, it lands once. The account's last-used time and Codex snapshot are "newer
 *    wins" writes, idempotent as they are.
 * 3. With every effect in place the record becomes `applied`; then the markers are removed, on
 *    the items the same plan named.
 *
 * A redelivery that finds the record `applied` only removes markers (idempotent). One that finds
 * it `pending` with an ended claim (its recorder died) takes it over and runs the effects again:
 * the markers make the ones already done no-ops. One that finds a live claim waits for it.
 *
 * Why a claim: markers are removed once the record is applied, so a second delivery that read
 * `pending` a moment earlier and then applied an effect after the removal would charge twice.
 * Only the claim holder writes effects, and it stops writing at its deadline, before the claim
 * ends (the claim runs `claimMarginMs` past it), so nobody else can take over while it still
 * writes. On Lambda the deadline is the invocation's own, after which the runtime is stopped.
 *
 * @example
 * ```ts
 * const outcome = await recordUsage(event, { ledger, prices, logger });
 * outcome.outcome; // 'recorded' | 'completed' | 'duplicate'
 * ```
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ResolvedPrice } from '../billing/price-book.ts';
import { parseUsageEvent, type UsageEventDetail, type UsageEventEnvelope } from '../events/usage-event.ts';
import type { ChargedItems, LedgerEffect, RecordClaim, UsageLedger } from '../store/usage-ledger.ts';
import { codexUsageSnapshot } from './codex-usage.ts';
import { type EffectPlan, planEffects } from './effect-plan.ts';
import { buildUsageRecord, type EffectName, type EffectResult, type UsageRecord } from './usage-record.ts';

export type RecorderLogger = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface RecorderDeps {
  ledger: UsageLedger;
  prices: { resolve(modelRequested: string, modelSent: string): Promise<ResolvedPrice> };
  logger: RecorderLogger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Epoch ms after which this delivery writes nothing more; default now + 25 s. */
  deadlineMs?: number;
  /** How long the claim outlives the deadline; default 30 s. */
  claimMarginMs?: number;
  /** How often a duplicate checks on a record another delivery holds; default 100 ms. */
  pollMs?: number;
  /**
   * How long a duplicate waits for the delivery holding the record before giving up with
   * {@link RecordBusyError} (to be redelivered later); default 5 s, never past the deadline.
   */
  maxWaitMs?: number;
  /**
   * Raises the alerts a charge made due (`shared/alerts/alert-watch.ts`), after the record is
   * applied, on every delivery: the watch compares state, so a repeat raises nothing twice.
   * `charged` holds the user and key as this delivery's marker clears left them.
   */
  watchCharge?: (
    record: UsageRecord,
    apiKeyHash: string | undefined,
    charged: ChargedItems,
  ) => Promise<unknown>;
}

export interface RecordOutcome {
  /**
   * `recorded`: this delivery created and applied the record; `completed`: it finished a record
   * an earlier delivery left pending; `duplicate`: the record was already applied.
   */
  outcome: 'recorded' | 'completed' | 'duplicate';
  record: UsageRecord;
}

/** This delivery reached its deadline and stopped writing; a redelivery finishes the record. */
export class ClaimExpiredError extends Error {
  constructor(requestId: string) {
    super(`recorder deadline reached while recording ${requestId}; a redelivery will finish it`);
    this.name = 'ClaimExpiredError';
  }
}

/** Another delivery held the record for longer than this one could wait. */
export class RecordBusyError extends Error {
  constructor(requestId: string) {
    super(`usage record ${requestId} is held by another delivery; retry later`);
    this.name = 'RecordBusyError';
  }
}

const DEFAULT_BUDGET_MS = 25_000;
const DEFAULT_CLAIM_MARGIN_MS = 30_000;
const DEFAULT_POLL_MS = 100;
const DEFAULT_MAX_WAIT_MS = 5_000;

interface Delivery {
  detail: UsageEventDetail;
  claim: RecordClaim;
  deadline: number;
  guard: () => void;
  deps: RecorderDeps;
  now: () => number;
}

export async function recordUsage(
  input: UsageEventEnvelope | UsageEventDetail | unknown,
  deps: RecorderDeps,
): Promise<RecordOutcome> {
  const detail = parseUsageEvent(input);
  const now = deps.now ?? Date.now;
  const deadline = deps.deadlineMs ?? now() + DEFAULT_BUDGET_MS;
  const claim = { owner: randomUUID(), until: deadline + (deps.claimMarginMs ?? DEFAULT_CLAIM_MARGIN_MS) };
  const guard = () => {
    if (now() >= deadline) throw new ClaimExpiredError(detail.requestId);
  };
  const delivery: Delivery = { detail, claim, deadline, guard, deps, now };

  const fresh = buildUsageRecord(
    detail,
    await deps.prices.resolve(detail.modelRequested, detail.modelSent),
    now(),
  );
  guard();
  const context = detail.codexHeaders ? { codexHeaders: detail.codexHeaders } : {};
  if (await deps.ledger.createPending(fresh, claim, context)) {
    return watched('recorded', await applyEffects(fresh, delivery), delivery);
  }
  const existing = await holdExisting(delivery);
  if (existing.record.state === 'applied') {
    const charged = await clearMarkers(existing.record, planOf(existing.record, delivery), delivery);
    return watched('duplicate', { record: existing.record, charged }, delivery);
  }
  return watched('completed', await applyEffects(existing.record, delivery), delivery);
}

/** The outcome, once the alerts it made due are raised; a failed watch is logged, never fatal. */
async function watched(
  kind: RecordOutcome['outcome'],
  { record, charged }: Applied,
  delivery: Delivery,
): Promise<RecordOutcome> {
  const outcome: RecordOutcome = { outcome: kind, record };
  const { watchCharge, logger } = delivery.deps;
  if (!watchCharge || outcome.record.billedNano <= 0) return outcome;
  try {
    await watchCharge(outcome.record, delivery.detail.apiKeyHash, charged);
  } catch (error) {
    // The next charge of the same user or key finds the crossing still unalerted.
    logger.error('Alert watch failed', {
      requestId: outcome.record.requestId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
  return outcome;
}

/** Waits until the record is applied or this delivery holds its claim. */
async function holdExisting(delivery: Delivery): Promise<{ record: UsageRecord }> {
  const { detail, deps, now, guard } = delivery;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollMs = deps.pollMs ?? DEFAULT_POLL_MS;
  const giveUpAt = Math.min(delivery.deadline, now() + (deps.maxWaitMs ?? DEFAULT_MAX_WAIT_MS));
  for (;;) {
    const stored = await deps.ledger.read(detail.requestId);
    if (!stored) throw new Error(`usage record ${detail.requestId} exists but could not be read back`);
    if (stored.record.state === 'applied') return stored;
    const until = stored.claim?.until;
    if (until === undefined || until <= now()) {
      guard();
      if (await deps.ledger.claim(detail.requestId, until, delivery.claim)) return stored;
      continue;
    }
    if (now() + pollMs >= giveUpAt) throw new RecordBusyError(detail.requestId);
    await sleep(pollMs);
  }
}

/** The record's effects, with what this delivery's event adds to the record (see `effect-plan.ts`). */
function planOf(record: UsageRecord, delivery: Delivery): EffectPlan {
  const { codexHeaders, apiKeyHash } = delivery.detail;
  return planEffects(record, {
    codexUsage: codexUsageSnapshot(codexHeaders, Date.parse(record.endedAt)),
    ...(apiKeyHash ? { apiKeyHash } : {}),
  });
}

/** A record applied, with the charged items as clearing its markers left them. */
interface Applied {
  record: UsageRecord;
  charged: ChargedItems;
}

async function applyEffects(record: UsageRecord, delivery: Delivery): Promise<Applied> {
  const { deps, guard, claim, now } = delivery;
  const plan = planOf(record, delivery);
  try {
    const results = await applyAll(plan, deps.ledger.effectsOf(plan), guard);
    for (const [name, result] of Object.entries(results)) {
      if (result === 'missing') logMissing(deps.logger, record, name as EffectName);
    }
    guard();
    const appliedAt = new Date(now()).toISOString();
    if (!(await deps.ledger.markApplied(record.requestId, claim.owner, results, appliedAt))) {
      throw new ClaimExpiredError(record.requestId);
    }
    const applied: UsageRecord = { ...record, state: 'applied', appliedAt, effects: results };
    return { record: applied, charged: await clearMarkers(applied, plan, delivery) };
  } catch (error) {
    // Hand the record over at once rather than after the claim ends, unless past the deadline.
    if (!(error instanceof ClaimExpiredError) && now() < delivery.deadline) {
      await deps.ledger.releaseClaim(record.requestId, claim.owner);
    }
    throw error;
  }
}

/** Runs every effect (concurrently: they touch different items) and reports the first failure. */
async function applyAll(
  plan: EffectPlan,
  effects: LedgerEffect[],
  guard: () => void,
): Promise<Partial<Record<EffectName, EffectResult>>> {
  const settled = await Promise.allSettled(effects.map((effect) => effect.apply(guard)));
  const results: Partial<Record<EffectName, EffectResult>> = {};
  for (const name of plan.skipped) results[name] = 'skipped';
  for (const [index, outcome] of settled.entries()) {
    if (outcome.status === 'rejected') throw outcome.reason;
    const effect = effects[index];
    if (effect) results[effect.name] = outcome.value;
  }
  return results;
}

/**
 * Clears the markers of the effects the record says were applied, on the items `plan` names;
 * answers the charged items as the clears left them.
 */
async function clearMarkers(
  record: UsageRecord,
  plan: EffectPlan,
  delivery: Delivery,
): Promise<ChargedItems> {
  const effects = delivery.deps.ledger.effectsOf(plan);
  const applied = effects.filter((effect) => record.effects?.[effect.name] === 'applied');
  const cleared = await Promise.all(applied.map((effect) => effect.clearMarker()));
  return Object.assign({}, ...cleared);
}

function logMissing(logger: RecorderLogger, record: UsageRecord, effect: EffectName): void {
  logger.error('Usage could not be charged: the item to charge no longer exists', {
    requestId: record.requestId,
    effect,
    userId: record.userId,
    apiKeyId: record.apiKeyId,
    groupId: record.groupId,
    accountId: record.accountId,
    billedNano: record.billedNano,
  });
}
