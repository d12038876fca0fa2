/**
 * The admin API's dependencies on DynamoDB, built once per process: the Lambda handler, the local
 * admin server and the CLI call this with their document client, the same client's typed
 * requests (the slot listing shares the gateway's slot store) and table names. The Lambda gives
 * the JSON clients, the CLI and the local server the SDK's (its credential chain).
 *
 * @example
 * ```ts
 * const requester = dynamoJsonClient();
 * const deps = createAdminApiDeps({ client: new JsonDocumentClient(requester), requester, tables, logger });
 * ```
 */
import { DynamoAlertStore } from '../store/dynamo/alert-store.ts';
import { DynamoPriceOverrides } from '../store/dynamo/billing-prices.ts';
import { DynamoConfigAdmin } from '../store/dynamo/config-admin.ts';
import type { DocumentClient } from '../store/dynamo/document-client.ts';
import type { DynamoRequester } from '../store/dynamo/json-protocol.ts';
import { DynamoOpsErrorLog } from '../store/dynamo/ops-error-log.ts';
import { DynamoSlotStore } from '../store/dynamo/slot-store.ts';
import { DynamoUsageReader } from '../store/dynamo/usage-reader.ts';
import type { TableNames } from '../tables/definitions.ts';
import type { AdminApiDeps } from './routes.ts';

export interface AdminApiDepsOptions {
  client: DocumentClient;
  /** The same DynamoDB's typed requests: `client`'s JSON client, or `sdkRequester` of an SDK client. */
  requester: DynamoRequester;
  tables: TableNames;
  logger: AdminApiDeps['logger'];
  now?: () => number;
}

export function createAdminApiDeps(options: AdminApiDepsOptions): AdminApiDeps {
  const { client, tables } = options;
  return {
    store: new DynamoConfigAdmin(client, tables.config),
    prices: new DynamoPriceOverrides(client, tables.config),
    usage: new DynamoUsageReader(client, tables),
    slots: new DynamoSlotStore(options.requester, tables.state),
    ops: new DynamoOpsErrorLog(client, tables.state),
    alerts: new DynamoAlertStore(client, tables),
    logger: options.logger,
    now: options.now ?? Date.now,
  };
}
