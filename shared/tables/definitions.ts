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

export const TABLES = {
  /** Users, key hashes, groups, accounts, subscriptions, prices, settings. Read-mostly. */
  config: {
    id: 'config',
    partitionKey: PK,
    sortKey: SK,
    indexes: [{ name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' }],
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
      // Records by day (16 shards), model aggregates by account, parked events: whole items.
      { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
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
