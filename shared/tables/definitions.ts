/**
 * The three DynamoDB tables, defined once. The CDK stack (`infra/`) and the local stack
 * (`local/`) both build their tables from these definitions, so a key schema, an index or the
 * TTL attribute cannot drift between the two.
 *
 * @example
 * ```ts
 * import { TABLES } from '#shared/tables/definitions.ts';
 * TABLES.state.ttlAttribute; // 'expiresAt'
 * ```
 */
import type { Account } from '../domain/types.ts';

export interface IndexDefinition {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  /**
   * What the index copies besides the keys: everything (`ALL`, for readers that need whole
   * items), or only the named attributes (`include`). Changing it on a deployed table means a
   * new index (DynamoDB cannot change a projection in place).
   */
  readonly projection: 'ALL' | { readonly include: readonly string[] };
}

export interface TableDefinition {
  /** Logical id, also the suffix of the physical name (`quotagate-<stage>-<id>`). */
  readonly id: 'config' | 'state' | 'usage';
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly indexes: readonly IndexDefinition[];
  /** Epoch-seconds attribute that DynamoDB's TTL deletes on; correctness never depends on it. */
  readonly ttlAttribute?: string;
  /** Kept on `cdk destroy` and protected against deletion: losing it loses money or users. */
  readonly retain: boolean;
  /** Point-in-time recovery, which `ExportTableToPointInTime` needs. */
  readonly pointInTimeRecovery: boolean;
}

/** Attribute names shared by the key schema of every table; all are strings. */
export const PK = 'pk';
export const SK = 'sk';

/**
 * Account attributes the gateway schedules on, copied into the Config listing: every attribute of
 * an account except its sealed `credentials` (read from the account item itself, by key) and the
 * `codexUsage` snapshot the recorder rewrites on every request (admin views read whole items).
 * `lastUsedAt` is written at most once per 10 s per recorder instance and account.
 */
const ACCOUNT_LISTING = [
  'id',
  'name',
  'type',
  'baseUrl',
  'status',
  'priority',
  'concurrency',
  'modelMapping',
  'groupIds',
  'userAgent',
  'proxyEndpoint',
  'customErrorCodes',
  'health',
  'lastUsedAt',
  'refreshFailures',
  'refreshError',
  'tokenRefreshedAt',
  'createdAt',
] as const satisfies readonly (keyof Account)[];

// Every account attribute is either listed or deliberately left to the item: a new one fails
// typecheck here until someone decides which.
const accountAttributesDecided: Exclude<
  keyof Account,
  (typeof ACCOUNT_LISTING)[number] | 'credentials' | 'codexUsage'
> extends never
  ? true
  : false = true;
void accountAttributesDecided;

/**
 * What the Config table's `listing` index copies besides its keys and the table's: the account
 * attributes above, what the price listing reads, a key's `hash` (found by its public id), and the
 * bookkeeping every entity has (`kind`, `version`, `updatedAt`, the credentials' version). Never
 * an account's sealed credentials, and never an attribute a request changes (a user's balance, a
 * key's spend, the recorder's and top-ups' markers, alert levels): a charge then writes no index
 * entry, so the `USERS` and `KEYS#<user>` listings are not written per request. Admin listings
 * read the listed items whole (BatchGetItem) after the index query.
 */
export const CONFIG_LISTING_ATTRIBUTES = [
  'kind',
  'version',
  'updatedAt',
  'credentialsVersion',
  ...ACCOUNT_LISTING,
  'hash',
  'model',
  'inputPicoPerToken',
  'cachedInputPicoPerToken',
  'outputPicoPerToken',
] as const;

/**
 * The listing index both tables had before their narrow `listing` index: `gsi1` over the same key
 * attributes, copying every attribute (on Config, credentials and balances included; on Usage,
 * every field a record or an aggregate gains after its first write). The stack keeps it on a table
 * only while `keepLegacyConfigIndex` / `keepLegacyUsageIndex` says so (the first step of the
 * upgrade, docs/deploy.md); nothing reads it.
 */
export const LEGACY_LISTING_INDEX: IndexDefinition = {
  name: 'gsi1',
  partitionKey: 'gsi1pk',
  sortKey: 'gsi1sk',
  projection: 'ALL',
};

/**
 * What the Usage table's `listing` index copies besides its keys and the table's: only attributes
 * a listed item has from its first write and never changes, so no later write of a record
 * (`started` → `pending` → `applied`, claims, markers) or of an aggregate (counters, markers)
 * changes its entry, and DynamoDB writes no index entry for it. A record's user and key are set by
 * the gateway's `started` write and kept by every later one; with them in the index, a listing
 * narrowed to a user or a key filters the index and reads only the matching records whole. The
 * account is left out: a `started` record has none (it is chosen after the slot is taken), so
 * copying it would write an index entry when the record turns pending; the account filter applies
 * to the records read. Aggregates and parked events carry neither: their entries are keys only.
 */
export const USAGE_LISTING_ATTRIBUTES = ['userId', 'apiKeyId'] as const;

/**
 * The `listing` index both long-lived tables have: entries under `gsi1pk`/`gsi1sk` that copy only
 * `include` besides the keys, so a later write of an item changes no entry unless it changes one
 * of those attributes.
 */
function listingIndex(include: readonly string[]) {
  return { name: 'listing', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: { include } } as const;
}

export const TABLES = {
  /**
   * Users, key hashes, groups, accounts, subscriptions, prices, settings. Read-mostly. `listing`
   * lists an entity kind (`tables/keys.ts`, `LIST`) with {@link CONFIG_LISTING_ATTRIBUTES} only.
   */
  config: {
    id: 'config',
    partitionKey: PK,
    sortKey: SK,
    indexes: [listingIndex(CONFIG_LISTING_ATTRIBUTES)],
    retain: true,
    pointInTimeRecovery: true,
  },
  /** Slot leases, wait tickets, sticky sessions: everything short-lived, all with `expiresAt`. */
  state: {
    id: 'state',
    partitionKey: PK,
    sortKey: SK,
    indexes: [],
    ttlAttribute: 'expiresAt',
    retain: false,
    pointInTimeRecovery: false,
  },
  /**
   * One record per served request plus typed daily aggregates: the finance ledger. Only applied
   * records ever carry `expiresAt`, and only when the optional record TTL is set (docs/deploy.md);
   * aggregates and parked events never expire.
   */
  usage: {
    id: 'usage',
    partitionKey: PK,
    sortKey: SK,
    indexes: [
      // Records by day (16 shards), model aggregates by account, parked events: the entries name
      // the items (plus USAGE_LISTING_ATTRIBUTES), which readers then read whole by key.
      listingIndex(USAGE_LISTING_ATTRIBUTES),
      // Sparse: only records still `started` or `pending` carry its keys, so the sweep reads
      // O(pending) index entries, filters on the lease and re-reads the few it finishes.
      {
        name: 'pending',
        partitionKey: 'pendingPk',
        sortKey: 'pendingSk',
        projection: { include: ['state', 'leaseUntil'] },
      },
    ],
    ttlAttribute: 'expiresAt',
    retain: true,
    pointInTimeRecovery: true,
  },
} as const satisfies Record<string, TableDefinition>;

export type TableId = keyof typeof TABLES;

/** The Config table's listing index: what every reader of an entity kind's list queries. */
export const CONFIG_LIST_INDEX = TABLES.config.indexes[0].name;

/**
 * The Usage table's listing index: records of a day, an account's model aggregates, parked events.
 * Its entries name the items; readers read them whole with a consistent BatchGetItem.
 */
export const USAGE_LIST_INDEX = TABLES.usage.indexes[0].name;

/** Physical table names for one deployment. */
export interface TableNames {
  readonly config: string;
  readonly state: string;
  readonly usage: string;
}

/** The CloudFormation stack name of a stage (CDK's construct id too); the CLI finds its outputs by it. */
export function stackNameForStage(stage: string): string {
  return `Quotagate-${stage}`;
}

/** The physical name a stage gives each table, e.g. `quotagate-dev-config`. */
export function tableNamesForStage(stage: string): TableNames {
  return {
    config: `quotagate-${stage}-config`,
    state: `quotagate-${stage}-state`,
    usage: `quotagate-${stage}-usage`,
  };
}
