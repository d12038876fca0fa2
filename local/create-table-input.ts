/**
 * The CreateTable input of one table definition, for the local stack's dynalite: used when a
 * table is first made (dynalite.ts) and when an older one is rebuilt with its items
 * (table-rebuild.ts), which is why it sits apart from both.
 *
 * @example
 * ```ts
 * await client.send(new CreateTableCommand(createTableInput(TABLES.config, names.config)));
 * ```
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '#shared/tables/definitions.ts';

/** The CreateTable input for one definition; the CDK constructs mirror the same fields. */
export function createTableInput(definition: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Set<string>([definition.partitionKey, definition.sortKey]);
  for (const index of definition.indexes) {
    attributes.add(index.partitionKey);
    attributes.add(index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: definition.partitionKey, KeyType: 'HASH' },
      { AttributeName: definition.sortKey, KeyType: 'RANGE' },
    ],
    ...(definition.indexes.length > 0
      ? {
          GlobalSecondaryIndexes: definition.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection:
              index.projection === 'ALL'
                ? { ProjectionType: 'ALL' as const }
                : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projection.include] },
          })),
        }
      : {}),
  };
}
