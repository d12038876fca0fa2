/**
 * The one module that spells item keys. Every other file asks these functions for a key, so a
 * format can change in one place and a grep for `SLOT#` finds exactly one definition.
 *
 * Config table: `USER#<id>`, `KEY#<sha256>`, `GROUP#<id>`, `ACCOUNT#<id>`, subscriptions under
 * the user (`USER#<id>` / `SUB#<groupId>`), prices (`PRICE#<model>`), request defaults (`SETTINGS`) and
 * admin money operations by their idempotency key (`MONEYOP#<key>` / `MONEYOP`).
 * The `listing` index lists an entity kind (`gsi1pk` = `USERS`, `GROUPS`, `ACCOUNTS`, `KEYS#<userId>`,
 * `PRICES`), with the attributes `CONFIG_LISTING_ATTRIBUTES` names (tables/definitions.ts).
 *
 * State table: `SLOT#user#<id>` / `SLOT#acct#<id>` with the slot index as sort key, wait tickets
 * `WAIT#user#<id>` / `WAIT#acct#<id>`, sticky sessions `STICKY#<groupId>#<sessionHash>`, the
 * single-refresher lease of an OAuth account's token `REFRESH#acct#<id>` / `LEASE`, per-key
 * request counters of one UTC minute `RATE#key#<keyId>#<epochMinute>` / `RATE`, alerts of one UTC
 * day `ALERT#<day>` / `<iso time>#<alertId>`.
 *
 * Usage table: `REQ#<requestId>` records, key aggregates `AGG#key#<id>` / `<yyyy-mm-dd>`,
 * model-by-account aggregates `AGG#model#<model>#<shard>` / `<yyyy-mm-dd>#<accountId>`, usage
 * events the gateway could not publish `PARKED#<requestId>`. `listing` (on `gsi1pk` / `gsi1sk`,
 * copying only what never changes) lists records by day in
 * {@link USAGE_SHARDS} shards (`REQS#<yyyy-mm-dd>#<shard>` / `<startedAt>#<requestId>`), an
 * account's model aggregates (`AGGA#<accountId>` / `<day>#<model>#<shard>`) and parked events
 * (`PARKED`); the sparse `pending` index lists records not yet applied (`PENDING#<shard>`).
 *
 * @example
 * ```ts
 * keys.slot('user', 'u_1', 0); // { pk: 'SLOT#user#u_1', sk: '000' }
 * ```
 */
export interface ItemKey {
  pk: string;
  sk: string;
}

export type SlotScope = 'user' | 'acct';

/** The entity kinds listed through the Config table's `listing` index. */
export const LIST = {
  users: 'USERS',
  groups: 'GROUPS',
  accounts: 'ACCOUNTS',
  prices: 'PRICES',
  keysOf: (userId: string) => `KEYS#${userId}`,
} as const;

/**
 * Usage records of a day, the pending listing and the per-model aggregates are each spread over
 * this many partitions by request id ({@link shardOf}), so none takes more than 1/16 of the
 * traffic (docs/deploy.md, scaling): at 2,000 req/s about 250 writes/s per partition, a quarter
 * of DynamoDB's 1,000 per partition. Readers query every shard and merge. Never change it for a
 * deployment holding records: readers would miss the other shards.
 */
export const USAGE_SHARDS = 16;

/** The listings of the Usage table's indexes. */
export const USAGE_LIST = {
  /**
   * `listing`: usage records by the UTC day they started, one shard of it; sort key
   * {@link usageRecordSortKey}.
   */
  recordsOfDay: (day: string, shard: number) => `REQS#${day}#${shard}`,
  /** `listing`: the unsharded day listing records written before sharding still sit in. */
  legacyRecordsOfDay: (day: string) => `REQS#${day}`,
  /** `listing`: a model's per-account daily aggregates, listed under the account. */
  modelAggregatesOfAccount: (accountId: string) => `AGGA#${accountId}`,
  parked: 'PARKED',
  /**
   * `pending` (sparse): one shard of the records still `started` or `pending`; sort key
   * {@link usageRecordSortKey}. The attributes go when a record is applied or lost.
   */
  pending: (shard: number) => `PENDING#${shard}`,
} as const;

/** FNV-1a of `id`, modulo `shards`: a stable, even spread of request ids over partitions. */
export function shardOf(id: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < id.length; index += 1) {
    hash ^= id.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/**
 * Ops error records of one UTC day are spread over this many partitions (by request id), so an
 * error storm can write up to 4 × 1,000 records/s; a day is read by querying every shard. Never
 * change it for a deployment holding records: the reader would miss the other shards.
 */
export const OPS_SHARDS = 4;

/** `gsi1sk` of a usage record: ISO start time first, so a day's records list in time order. */
export function usageRecordSortKey(startedAt: string, requestId: string): string {
  return `${startedAt}#${requestId}`;
}

/**
 * The index attributes of a usage record: its shard of the day listing (`listing`) and, while it is
 * not yet applied (`started`, `pending`), its shard of the sparse `pending` listing. Both shards
 * are the request id's, so a request's record always lands in the same ones.
 */
export function usageRecordListing(
  record: { requestId: string; day: string; startedAt: string },
  pending: boolean,
): Record<string, string> {
  const shard = shardOf(record.requestId, USAGE_SHARDS);
  const sortKey = usageRecordSortKey(record.startedAt, record.requestId);
  return {
    gsi1pk: USAGE_LIST.recordsOfDay(record.day, shard),
    gsi1sk: sortKey,
    ...(pending
      ? { [PENDING_INDEX_KEYS[0]]: USAGE_LIST.pending(shard), [PENDING_INDEX_KEYS[1]]: sortKey }
      : {}),
  };
}

/** The attributes that put a record in the `pending` listing; removed when it is applied or lost. */
export const PENDING_INDEX_KEYS = ['pendingPk', 'pendingSk'] as const;

export const keys = {
  user: (id: string): ItemKey => ({ pk: `USER#${id}`, sk: 'USER' }),
  apiKey: (hash: string): ItemKey => ({ pk: `KEY#${hash}`, sk: 'KEY' }),
  group: (id: string): ItemKey => ({ pk: `GROUP#${id}`, sk: 'GROUP' }),
  account: (id: string): ItemKey => ({ pk: `ACCOUNT#${id}`, sk: 'ACCOUNT' }),
  subscription: (userId: string, groupId: string): ItemKey => ({
    pk: `USER#${userId}`,
    sk: `SUB#${groupId}`,
  }),
  subscriptionPrefix: (userId: string) => ({ pk: `USER#${userId}`, skPrefix: 'SUB#' }),
  price: (model: string): ItemKey => ({ pk: `PRICE#${model}`, sk: 'PRICE' }),
  /** The price an unknown model falls back to, when an admin set one. */
  defaultPrice: (): ItemKey => ({ pk: 'PRICE#*', sk: 'PRICE' }),
  /** The admin's request defaults; stored under `SETTINGS`, the key it has always had. */
  requestDefaults: (): ItemKey => ({ pk: 'SETTINGS', sk: 'SETTINGS' }),
  /** An admin money operation (a top-up), kept under the idempotency key its caller chose. */
  moneyOperation: (idempotencyKey: string): ItemKey => ({ pk: `MONEYOP#${idempotencyKey}`, sk: 'MONEYOP' }),

  slotPartition: (scope: SlotScope, id: string) => `SLOT#${scope}#${id}`,
  slot: (scope: SlotScope, id: string, index: number): ItemKey => ({
    pk: `SLOT#${scope}#${id}`,
    sk: String(index).padStart(3, '0'),
  }),
  waitPartition: (scope: SlotScope, id: string) => `WAIT#${scope}#${id}`,
  wait: (scope: SlotScope, id: string, index: number): ItemKey => ({
    pk: `WAIT#${scope}#${id}`,
    sk: String(index).padStart(3, '0'),
  }),
  sticky: (groupId: string, sessionHash: string): ItemKey => ({
    pk: `STICKY#${groupId}#${sessionHash}`,
    sk: 'STICKY',
  }),
  /** One shard of a day's ops error records; the sort key {@link opsRecordSortKey} orders them. */
  opsPartition: (day: string, shard: number) => `OPS#${day}#${shard}`,
  opsRecord: (day: string, shard: number, at: string, requestId: string): ItemKey => ({
    pk: `OPS#${day}#${shard}`,
    sk: opsRecordSortKey(at, requestId),
  }),
  /** Requests of one API key in one UTC minute (`minute` = epoch ms / 60,000, rounded down). */
  requestRate: (keyId: string, minute: number): ItemKey => ({
    pk: `RATE#key#${keyId}#${minute}`,
    sk: 'RATE',
  }),
  /** The alerts raised on one UTC day, listed in time order by their sort key. */
  alertPartition: (day: string) => `ALERT#${day}`,
  alert: (day: string, at: string, alertId: string): ItemKey => ({
    pk: `ALERT#${day}`,
    sk: `${at}#${alertId}`,
  }),
  /** Whoever holds it is the only one who may spend the account's refresh token. */
  refreshLease: (accountId: string): ItemKey => ({ pk: `REFRESH#acct#${accountId}`, sk: 'LEASE' }),

  usageRecord: (requestId: string): ItemKey => ({ pk: `REQ#${requestId}`, sk: 'REQ' }),
  /**
   * A daily aggregate of one subject. The recorder keeps `key` ones; `user`, `account` and
   * `model` ones are what deployments before the fold of aggregates wrote, still read.
   */
  aggregate: (dimension: 'user' | 'key' | 'account' | 'model', id: string, day: string): ItemKey => ({
    pk: `AGG#${dimension}#${id}`,
    sk: day,
  }),
  /**
   * One request shard of a model's usage through one account on one day: the model's daily
   * total sums the shards, the account's is listed through `listing`
   * ({@link USAGE_LIST.modelAggregatesOfAccount}).
   */
  modelAccountAggregate: (model: string, shard: number, day: string, accountId: string): ItemKey => ({
    pk: `AGG#model#${model}#${shard}`,
    sk: `${day}#${accountId}`,
  }),
  parkedEvent: (requestId: string): ItemKey => ({ pk: `PARKED#${requestId}`, sk: 'PARKED' }),
} as const;

/** Sort key of an ops record: ISO time first, so a shard lists in time order. */
export function opsRecordSortKey(at: string, requestId: string): string {
  return `${at}#${requestId}`;
}

/** Slot indexes are stored zero-padded; this reads one back. */
export function slotIndexOf(sk: string): number {
  return Number.parseInt(sk, 10);
}
