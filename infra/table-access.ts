/**
 * What each function may do with DynamoDB, in one place per function. The lists name the exact
 * calls the function's code makes; {@link bindTables} turns them into IAM statements on the table
 * ARN and on each named index ARN, never `index/*` and never `dynamodb:*`, and names each table to
 * the function through its `QG_*_TABLE` variable in the same call, so a function never learns a
 * table it may not use nor gets a grant on a table it cannot find. A function that starts making a
 * new call (or using a new index) gets it added here, and the infra tests pin the result.
 *
 * @example
 * ```ts
 * bindTables(gatewayFunction, tables, GATEWAY_TABLE_ACCESS);
 * ```
 */
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { TABLE_VARIABLES } from '#shared/settings.ts';
import type { TABLES, TableId } from '#shared/tables/definitions.ts';
import { keys } from '#shared/tables/keys.ts';
import type { QuotagateTables } from './constructs/quotagate-tables.ts';

export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem';

type IndexName<T extends TableId> = (typeof TABLES)[T]['indexes'][number]['name'];

/** The calls one function makes on one table, and on which of its indexes it queries. */
export type TableGrant<T extends TableId> = {
  readonly actions: readonly DynamoAction[];
  readonly indexes?: Readonly<Partial<Record<IndexName<T>, readonly DynamoAction[]>>>;
  /**
   * Some of `actions` allowed only on items whose partition key starts with one of these
   * prefixes (`dynamodb:LeadingKeys`): a function that writes a few kinds of item cannot write
   * the others, whatever its code is made to do.
   */
  readonly onlyItems?: {
    readonly actions: readonly DynamoAction[];
    readonly partitionPrefixes: readonly string[];
  };
};

/** Partition-key prefixes, read from the one module that spells keys. */
const PREFIX = {
  account: keys.account('').pk,
  usageRecord: keys.usageRecord('').pk,
  parkedEvent: keys.parkedEvent('').pk,
  alert: keys.alertPartition(''),
} as const;

/**
 * Every single-item call and Query, in the order the IAM statements list them: for a function
 * that reads, writes and deletes items of its own choosing and lists partitions.
 */
const READ_WRITE_AND_QUERY = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const satisfies readonly DynamoAction[];

export type TableAccess = { readonly [T in TableId]?: TableGrant<T> };

/** The gateway: reads config (keys, users, groups, accounts), marks account health, holds leases. */
export const GATEWAY_TABLE_ACCESS = {
  config: {
    // BatchGetItem: a caller's user, group, subscription and the settings in one read.
    // UpdateItem: account health (rate-limited/overloaded/error) and tokens it refreshed, on
    // account items only; `listing` lists the accounts (without credentials, which GetItem reads
    // from the chosen account's item).
    actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
    indexes: { listing: ['dynamodb:Query'] },
    onlyItems: { actions: ['dynamodb:UpdateItem'], partitionPrefixes: [PREFIX.account] },
  },
  state: {
    // Slot leases, wait tickets, sticky sessions and per-key request counters (RATE#key#…):
    // conditional put/update/delete plus queries;
    // BatchGetItem: the sticky session, read together with the caller's Config records.
    actions: [
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
    ],
  },
  usage: {
    // PutItem: a usage event EventBridge would not take is parked as a PARKED# item, and every
    // request's `started` record (REQ#<id>) is written with its user slot; DeleteItem removes
    // that record again when the request ends unserved (request-admission.ts).
    // Query: GET /v1/usage reads the caller's key aggregates (AGG#key#<id>). The writes reach
    // no aggregate and no other kind of item.
    actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
    onlyItems: {
      actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      partitionPrefixes: [PREFIX.usageRecord, PREFIX.parkedEvent],
    },
  },
} as const satisfies TableAccess;

/** The recorder: writes the usage record and aggregates, charges balances and quotas in config. */
export const RECORDER_TABLE_ACCESS = {
  usage: {
    // The `listing` Query, BatchGetItem and DeleteItem drain parked events (`PARKED` list, oldest
    // first, its entries read whole); `listing` also lists records written before the pending
    // index (`sweep-pending --days`), read whole the same way; the sparse `pending` index is what
    // the sweep reads.
    actions: [...READ_WRITE_AND_QUERY, 'dynamodb:BatchGetItem'],
    indexes: { listing: ['dynamodb:Query'], pending: ['dynamodb:Query'] },
  },
  config: {
    // Balances, key quotas, subscription spend and account last-use are conditional updates;
    // `listing` finds a user's key item and lists the admin price overrides. BatchGetItem: the
    // alert watch reads the charged key, user and request defaults; its claims are UpdateItems.
    actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
    indexes: { listing: ['dynamodb:Query'] },
  },
  state: {
    // Alert records (ALERT#<day>): written pending, confirmed or (a lost claim) deleted, marked
    // published, listed for the republish.
    actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
    onlyItems: {
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      partitionPrefixes: [PREFIX.alert],
    },
  },
} as const satisfies TableAccess;

/** The token refresher: reads OAuth accounts, writes their tokens and failures, holds refresh leases. */
export const TOKEN_REFRESH_TABLE_ACCESS = {
  config: {
    // GetItem: the consistent re-read under the lease; UpdateItem: tokens, failure count, health,
    // on account items only.
    actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    // The ACCOUNTS listing the schedule walks (the OAuth accounts' items are then read by key).
    indexes: { listing: ['dynamodb:Query'] },
    onlyItems: { actions: ['dynamodb:UpdateItem'], partitionPrefixes: [PREFIX.account] },
  },
  state: {
    // The per-account refresh lease: conditional Put to take it, conditional Delete to free it.
    actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
  },
} as const satisfies TableAccess;

/**
 * The admin API: every admin operation on Config, and reads for its reports (usage aggregates,
 * live slot leases, ops error records). It never writes State or Usage.
 */
export const ADMIN_TABLE_ACCESS = {
  config: {
    // PutItem: conditional creates and top-ups' MONEYOP#<idempotency key> items; UpdateItem:
    // versioned changes, balance additions, prices; DeleteItem: a price override, a refused top-up's
    // pending MONEYOP# item; Query: a user's subscriptions (`USER#<id>` / `SUB#…`); BatchGetItem:
    // the listed items whole (balances, spend, Codex usage stay out of the index). No Scan: a
    // key by its public id and everyone's subscriptions go through each user's listing.
    actions: [...READ_WRITE_AND_QUERY, 'dynamodb:BatchGetItem'],
    // The USERS, GROUPS, ACCOUNTS, KEYS#<user> and PRICES listings.
    indexes: { listing: ['dynamodb:Query'] },
  },
  state: {
    // An account's live slot leases and wait tickets; the ops error records of a day.
    actions: ['dynamodb:Query'],
  },
  usage: {
    // Daily aggregates (AGG#key#<id>, AGG#model#<model>#<shard>) for usage reports;
    // BatchGetItem: the records and aggregates the `listing` index names, read whole.
    actions: ['dynamodb:Query', 'dynamodb:BatchGetItem'],
    // The records of a day (`REQS#<day>#<shard>`) for the usage summary and the record listing,
    // and an account's model aggregates (`AGGA#<account>`).
    indexes: { listing: ['dynamodb:Query'] },
  },
} as const satisfies TableAccess;

/** Sets each table's variable on the function and adds one statement per table (and one per index) to its role. */
export function bindTables(fn: LambdaFunction, tables: QuotagateTables, access: TableAccess): void {
  for (const id of Object.keys(access) as TableId[]) {
    const grant = access[id] as TableGrant<TableId> | undefined;
    if (!grant) continue;
    const table = tables.byId[id];
    fn.addEnvironment(TABLE_VARIABLES[id], table.tableName);
    const narrowed = new Set<DynamoAction>(grant.onlyItems?.actions ?? []);
    const open = grant.actions.filter((action) => !narrowed.has(action));
    if (open.length > 0)
      fn.addToRolePolicy(new PolicyStatement({ actions: open, resources: [table.tableArn] }));
    if (grant.onlyItems) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: [...grant.onlyItems.actions],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringLike': {
              'dynamodb:LeadingKeys': grant.onlyItems.partitionPrefixes.map((prefix) => `${prefix}*`),
            },
          },
        }),
      );
    }
    for (const [indexName, actions] of Object.entries(grant.indexes ?? {}) as [string, DynamoAction[]][]) {
      fn.addToRolePolicy(
        new PolicyStatement({ actions: [...actions], resources: [`${table.tableArn}/index/${indexName}`] }),
      );
    }
  }
}
