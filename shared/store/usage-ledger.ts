/**
 * What the recorder needs from storage: the {@link UsageLedger}. It is shaped around the
 * exactly-once construction (see `shared/recorder/record-usage.ts`): a pending record that holds a claim, effects
 * that each apply once thanks to a per-request marker on the item they change, and a final
 * `applied` mark after which the markers are removed. The DynamoDB implementation is
 * `shared/store/dynamo/usage-ledger.ts`; every method is one or two single-item calls, since
 * dynalite (the local DynamoDB) has no transactions.
 *
 * @example
 * ```ts
 * const ledger: UsageLedger = new DynamoUsageLedger(documentClient(), settings.tables);
 * ```
 */
import type { ApiKey, User } from '../domain/types.ts';
import type { EffectPlan } from '../recorder/effect-plan.ts';
import type { EffectName, EffectResult, UsageRecord } from '../recorder/usage-record.ts';

/**
 * Who may write a pending record's effects, and until when (epoch ms): one recorder delivery's
 * hold on one usage record, not a slot lease of `shared/concurrency/` (a State-table item held by
 * a running request). Stored on the record as its `leaseOwner` / `leaseUntil` attributes, the
 * names items already written carry.
 */
export interface RecordClaim {
  owner: string;
  until: number;
}

/**
 * What a delivery knows beyond the record that its effects use, kept on the record while it is
 * pending so that a sweep can finish it without the event (see `shared/recorder/pending-sweep.ts`). The key's
 * hash is left out on purpose: without it the key item is found through the index, which has
 * long caught up by the time a record is stranded.
 */
export interface PendingContext {
  /** The upstream's `x-codex-*` usage headers of the event, as received. */
  codexHeaders?: Record<string, string>;
}

export interface StoredUsageRecord {
  record: UsageRecord;
  /** Present while a delivery holds the pending record. */
  claim: RecordClaim | undefined;
  /** Kept while the record is pending; absent on records written before it was kept. */
  pendingContext?: PendingContext;
}

/**
 * The charged user and key as clearing this request's markers left them: the answer of that
 * write, so as fresh as a strongly consistent read after the charge, at no extra request. The
 * alert watch reads them instead of reading the items again.
 */
export interface ChargedItems {
  /** From the balance effect's item (balance billing). */
  user?: User;
  /** From the key quota effect's item. */
  key?: ApiKey;
}

/** Throws when the calling delivery must not write any more (its claim is about to end). */
export type WriteGuard = () => void;

export interface LedgerEffect {
  name: EffectName;
  /**
   * Applies the effect unless this request already did: any delivery may call it any number of
   * times, concurrently or after a crash, and the amount lands once.
   */
  apply(guard: WriteGuard): Promise<EffectResult>;
  /**
   * Removes the request's marker from the item; idempotent. Only once the record is applied.
   * Answers the item as it is then when it is one the alert watch reads (see
   * {@link ChargedItems}); nothing for the others, or when the item is gone.
   */
  clearMarker(): Promise<ChargedItems>;
}

export interface UsageLedger {
  /**
   * Writes the record as pending, held by `claim`, with the `context` a sweep needs to finish it;
   * false when a record with its id exists, unless that one is only the gateway's `started` or
   * the sweep's `lost` record of the request (it holds no charge and is replaced). The context
   * is dropped once the record is applied.
   */
  createPending(record: UsageRecord, claim: RecordClaim, context?: PendingContext): Promise<boolean>;
  /** A strongly consistent read of the record. */
  read(requestId: string): Promise<StoredUsageRecord | undefined>;
  /**
   * Takes over a pending record whose claim ended (or that holds none): succeeds only if the
   * record still carries `expectedUntil`, so two deliveries cannot both take it over.
   */
  claim(requestId: string, expectedUntil: number | undefined, claim: RecordClaim): Promise<boolean>;
  /** Gives the claim up early (after an error), if this owner still holds it. Never throws. */
  releaseClaim(requestId: string, owner: string): Promise<void>;
  /** Marks the record applied with each effect's result, if `owner` still holds it. */
  markApplied(
    requestId: string,
    owner: string,
    effects: Partial<Record<EffectName, EffectResult>>,
    appliedAt: string,
  ): Promise<boolean>;
  /**
   * The planned effects (see `shared/recorder/effect-plan.ts`) as writes, in the plan's order; used both to apply
   * them and to clear their markers.
   */
  effectsOf(plan: EffectPlan): LedgerEffect[];
}
