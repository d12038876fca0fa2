/**
 * dynalite with one stage's tables, a document client and the gateway's JSON client, for the
 * integration files that talk to DynamoDB directly: started in a `before` hook of the enclosing
 * suite (or of the file, called at its top level) and closed in an `after` hook, so a file says
 * what it tests, not how a database starts. At a file's top level node:test starts the `before`
 * hooks together, so another top-level hook must not read the suite's clients (make what needs
 * them on use instead).
 *
 * @example
 * ```ts
 * const dynamo = dynaliteForSuite('slots');
 * it('…', async () => {
 *   const store = new DynamoSlotStore(dynamo.requester, dynamo.tables.state);
 * });
 * ```
 */
import { after, before } from 'node:test';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { createDynamoJsonClient, type DynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { type TableNames, tableNamesForStage } from '#shared/tables/definitions.ts';

export interface DynaliteSuite {
  readonly tables: TableNames;
  readonly db: RunningDynalite;
  /** The SDK's document client, for arranging and reading items. */
  readonly client: SdkDocumentClient;
  /** The gateway's own JSON client, which the slot store and the concurrency layer use. */
  readonly requester: DynamoJsonClient;
  /** Every item of one state-table partition (a slot pool's leases, a wait queue), read consistently. */
  stateItems(pk: string): Promise<Record<string, unknown>[]>;
}

export function dynaliteForSuite(stage: string): DynaliteSuite {
  const tables = tableNamesForStage(stage);
  let started: Pick<DynaliteSuite, 'db' | 'client' | 'requester'> | undefined;
  before(async () => {
    const db = await startDynalite({ port: 0 });
    await ensureTables(db.endpoint, tables);
    started = {
      db,
      client: createDocumentClient(db.endpoint),
      requester: createDynamoJsonClient(db.endpoint),
    };
  });
  after(async () => {
    started?.client.destroy();
    started?.requester.destroy();
    await started?.db.close();
  });
  const running = () => {
    if (!started) throw new Error('dynalite starts in the before hook: use it in tests and hooks.');
    return started;
  };
  return {
    tables,
    get db() {
      return running().db;
    },
    get client() {
      return running().client;
    },
    get requester() {
      return running().requester;
    },
    async stateItems(pk) {
      const { Items = [] } = await running().client.send(
        new QueryCommand({
          TableName: tables.state,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
        }),
      );
      return Items;
    },
  };
}
