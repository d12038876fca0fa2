/**
 * The admin API's dependencies on DynamoDB, built once per process: the Lambda handler and the
 * local admin server both call this with their document client and table names.
 *
 * @example
 * ```ts
 * const deps = createAdminApiDeps({ client: documentClient(), tables: loadSettings().tables, logger });
 * ```
 */
import { DynamoAlertStore } from '../store/dynamo/alert-store.ts';
import { DynamoPriceOverrides } from '../store/dynamo/billing-prices.ts';
import { DynamoConfigAdmin } from '../store/dynamo/config-admin.ts';
import { DynamoOpsErrorLog } from '../store/dynamo/ops-error-log.ts';
import type { SdkDocumentClient } from '../store/dynamo/sdk-document-client.ts';
import { sdkRequester } from '../store/dynamo/sdk-requester.ts';
import { DynamoSlotStore } from '../store/dynamo/slot-store.ts';
import { DynamoUsageReader } from '../store/dynamo/usage-reader.ts';
import type { TableNames } from '../tables/definitions.ts';
import type { AdminApiDeps } from './routes.ts';

export interface AdminApiDepsOptions {
  /** The SDK's client: the admin API and the CLI sign with the SDK's credential chain. */
  client: SdkDocumentClient;
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
    // The CLI runs this with the SDK's credential chain, which the gateway's JSON client lacks.
    slots: new DynamoSlotStore(sdkRequester(client), tables.state),
    ops: new DynamoOpsErrorLog(client, tables.state),
    alerts: new DynamoAlertStore(client, tables),
    logger: options.logger,
    now: options.now ?? Date.now,
  };
}
