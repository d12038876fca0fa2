/**
 * {@link UsageLedger} on DynamoDB. The record `REQ#<id>` lives in the Usage table with its
 * `listing` entry (`REQS#<day>#<shard>` / `<startedAt>#<id>`) and, while pending, its `pending`
 * listing, the claim attributes `leaseOwner` / `leaseUntil` and the `pendingContext` a sweep
 * needs to finish it without its event (`usage-ledger-stranded.ts` lists those whose claim
 * ended). It executes the recorder's effect plan (`shared/recorder/effect-plan.ts`): the user's
 * balance, the subscription windows and the key's spend in the Config table, the key's day item
 * and the model's day item of the request's shard and account in the Usage table (see
 * `usage-ledger-effects.ts`), and the account's last use (`usage-ledger-account.ts`).
 *
 * The key item is addressed by the hash of its secret. A plan from an older event without the
 * hash (or from a sweep, which does not keep it) names the key by owner and id instead; it is
 * then found once per key through the Config table's `listing` index (`KEYS#<userId>` / key id) and kept
 * in memory, since a key's hash never changes.
 *
 * @example
 * ```ts
 * const ledger = new DynamoUsageLedger(documentClient(), loadSettings().tables);
 * await recordUsage(event, { ledger, prices, logger });
 * ```
 */

import type { EffectPlan, PlannedEffect } from '../../recorder/effect-plan.ts';
import type { EffectName, EffectResult, UsageRecord } from '../../recorder/usage-record.ts';
import { CONFIG_LIST_INDEX, TABLES, type TableNames } from '../../tables/definitions.ts';
import type {
  LedgerEffect,
  PendingContext,
  RecordClaim,
  StoredUsageRecord,
  UsageLedger,
} from '../usage-ledger.ts';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from './commands.ts';
import type { DocumentClient } from './document-client.ts';

const USAGE_RECORD_TTL_ATTRIBUTE = TABLES.usage.ttlAttribute;

import {
  type ItemKey,
  keys,
  LIST,
  PENDING_INDEX_KEYS,
  USAGE_LIST,
  usageRecordListing,
} from '../../tables/keys.ts';
import { conditionHeld } from './condition-failure.ts';
import { accountEffect, LastUsedWrites } from './usage-ledger-account.ts';
import {
  aggregateEffect,
  balanceEffect,
  type EffectTarget,
  keyQuotaEffect,
  subscriptionEffect,
} from './usage-ledger-effects.ts';
import { storedUsageRecordOf } from './usage-record-item.ts';

/** A target whose key is looked up lazily (the API key item), or missing altogether. */
function deferredEffect(name: EffectName, resolve: () => Promise<LedgerEffect | undefined>): LedgerEffect {
  let effect: Promise<LedgerEffect | undefined> | undefined;
  const current = () => {
    effect ??= resolve();
    return effect;
  };
  return {
    name,
    async apply(guard) {
      const resolved = await current();
      return resolved ? resolved.apply(guard) : 'missing';
    },
    async clearMarker() {
      return (await current())?.clearMarker() ?? {};
    },
  };
}

export class DynamoUsageLedger implements UsageLedger {
  readonly #client: DocumentClient;
  readonly #tables: Pick<TableNames, 'config' | 'usage'>;
  readonly #keyItems = new Map<string, ItemKey>();
  readonly #lastUsedWritten = new LastUsedWrites();

  readonly #recordTtlDays: number | undefined;

  /** `recordTtlDays`: applied records get `expiresAt` that many days on (the Usage table's TTL). */
  constructor(
    client: DocumentClient,
    tables: Pick<TableNames, 'config' | 'usage'>,
    options: { recordTtlDays?: number } = {},
  ) {
    this.#client = client;
    this.#tables = tables;
    this.#recordTtlDays = options.recordTtlDays;
  }

  async createPending(
    record: UsageRecord,
    claim: RecordClaim,
    context: PendingContext = {},
  ): Promise<boolean> {
    return conditionHeld(() =>
      this.#client.send(
        new PutCommand({
          TableName: this.#tables.usage,
          Item: {
            ...keys.usageRecord(record.requestId),
            ...usageRecordListing(record, true),
            ...record,
            leaseOwner: claim.owner,
            leaseUntil: claim.until,
            ...(Object.keys(context).length > 0 ? { pendingContext: context } : {}),
          },
          // The gateway's `started` record (or the sweep's `lost` one) of the same request holds
          // no charge: the event's record replaces it. Anything further along is this record.
          ConditionExpression: 'attribute_not_exists(pk) OR #state IN (:started, :lost)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':started': 'started', ':lost': 'lost' },
        }),
      ),
    );
  }

  async read(requestId: string): Promise<StoredUsageRecord | undefined> {
    const { Item: item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tables.usage,
        Key: keys.usageRecord(requestId),
        ConsistentRead: true,
      }),
    );
    return item ? storedUsageRecordOf(item) : undefined;
  }

  async claim(requestId: string, expectedUntil: number | undefined, claim: RecordClaim): Promise<boolean> {
    const held = expectedUntil === undefined ? 'attribute_not_exists(#until)' : '#until = :expected';
    return this.#conditionalRecordUpdate(requestId, {
      UpdateExpression: 'SET #owner = :owner, #until = :until',
      ConditionExpression: `#state = :pending AND ${held}`,
      ExpressionAttributeNames: { '#owner': 'leaseOwner', '#until': 'leaseUntil', '#state': 'state' },
      ExpressionAttributeValues: {
        ':owner': claim.owner,
        ':until': claim.until,
        ':pending': 'pending',
        ...(expectedUntil === undefined ? {} : { ':expected': expectedUntil }),
      },
    });
  }

  async releaseClaim(requestId: string, owner: string): Promise<void> {
    try {
      await this.#conditionalRecordUpdate(requestId, {
        UpdateExpression: 'REMOVE #owner, #until',
        ConditionExpression: '#state = :pending AND #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'leaseOwner', '#until': 'leaseUntil', '#state': 'state' },
        ExpressionAttributeValues: { ':owner': owner, ':pending': 'pending' },
      });
    } catch {
      // Best effort: the claim ends by itself.
    }
  }

  async markApplied(
    requestId: string,
    owner: string,
    effects: Partial<Record<EffectName, EffectResult>>,
    appliedAt: string,
  ): Promise<boolean> {
    // Only an applied record ever expires: a pending one must stay for the sweep to finish it.
    const expiry =
      this.#recordTtlDays === undefined
        ? undefined
        : Math.floor(Date.parse(appliedAt) / 1000) + this.#recordTtlDays * 86_400;
    const done = await this.#conditionalRecordUpdate(requestId, {
      // Out of the pending listing: the sweep never reads an applied record again.
      UpdateExpression: `SET #state = :applied, #appliedAt = :at, #effects = :effects${expiry === undefined ? '' : ', #expiresAt = :expiresAt'} REMOVE #owner, #until, #context, #pendingPk, #pendingSk`,
      ConditionExpression: '#state = :pending AND #owner = :owner',
      ExpressionAttributeNames: {
        '#state': 'state',
        '#appliedAt': 'appliedAt',
        '#effects': 'effects',
        '#owner': 'leaseOwner',
        '#until': 'leaseUntil',
        '#context': 'pendingContext',
        '#pendingPk': PENDING_INDEX_KEYS[0],
        '#pendingSk': PENDING_INDEX_KEYS[1],
        ...(expiry === undefined ? {} : { '#expiresAt': USAGE_RECORD_TTL_ATTRIBUTE }),
      },
      ExpressionAttributeValues: {
        ':applied': 'applied',
        ':pending': 'pending',
        ':at': appliedAt,
        ':effects': effects,
        ':owner': owner,
        ...(expiry === undefined ? {} : { ':expiresAt': expiry }),
      },
    });
    return done || (await this.read(requestId))?.record.state === 'applied';
  }

  effectsOf(plan: EffectPlan): LedgerEffect[] {
    return plan.effects.map((planned) => this.#effectOf(plan.requestId, planned));
  }

  #effectOf(id: string, planned: PlannedEffect): LedgerEffect {
    const config = (key: ItemKey): EffectTarget => ({
      client: this.#client,
      tableName: this.#tables.config,
      key,
    });
    switch (planned.name) {
      case 'balance':
        return balanceEffect(config(keys.user(planned.userId)), id, planned.amountNano);
      case 'subscription':
        return subscriptionEffect(
          config(keys.subscription(planned.userId, planned.groupId)),
          id,
          planned.amountNano,
          planned.atMs,
        );
      case 'keyQuota': {
        const ref = planned.key;
        return deferredEffect('keyQuota', async () => {
          // The hash names the item directly; older events without it go through the index.
          const key = 'hash' in ref ? keys.apiKey(ref.hash) : await this.#keyItem(ref.userId, ref.keyId);
          return key && keyQuotaEffect(config(key), id, planned.amountNano);
        });
      }
      case 'account':
        return accountEffect(
          config(keys.account(planned.accountId)),
          planned.usedAt,
          planned.codexUsage,
          this.#lastUsedWritten,
        );
      case 'keyDaily':
        return aggregateEffect(
          'keyDaily',
          this.#usage(keys.aggregate('key', planned.keyId, planned.day)),
          id,
          { dimension: 'key', subjectId: planned.keyId, day: planned.day },
          planned.counters,
        );
      case 'modelAccountDaily': {
        const { model, accountId, shard, day } = planned;
        return aggregateEffect(
          'modelAccountDaily',
          this.#usage(keys.modelAccountAggregate(model, shard, day, accountId)),
          id,
          {
            // The catalog's aggregates view reads the model as `subjectId` (infra/usage-catalog.ts).
            dimension: 'modelAccount',
            subjectId: model,
            accountId,
            day,
            // Listed under the account, so an account's day is one Query.
            gsi1pk: USAGE_LIST.modelAggregatesOfAccount(accountId),
            gsi1sk: `${day}#${model}#${shard}`,
          },
          planned.counters,
        );
      }
    }
  }

  #usage(key: ItemKey): EffectTarget {
    return { client: this.#client, tableName: this.#tables.usage, key };
  }

  async #keyItem(userId: string, keyId: string): Promise<ItemKey | undefined> {
    const known = this.#keyItems.get(keyId);
    if (known) return known;
    const { Items: items = [] } = await this.#client.send(
      new QueryCommand({
        TableName: this.#tables.config,
        IndexName: CONFIG_LIST_INDEX,
        KeyConditionExpression: 'gsi1pk = :list AND gsi1sk = :id',
        ExpressionAttributeValues: { ':list': LIST.keysOf(userId), ':id': keyId },
      }),
    );
    const item = items[0];
    if (!item) return undefined;
    const key = { pk: item.pk as string, sk: item.sk as string };
    this.#keyItems.set(keyId, key);
    return key;
  }

  async #conditionalRecordUpdate(
    requestId: string,
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
  ): Promise<boolean> {
    return conditionHeld(() =>
      this.#client.send(
        new UpdateCommand({ TableName: this.#tables.usage, Key: keys.usageRecord(requestId), ...input }),
      ),
    );
  }
}
