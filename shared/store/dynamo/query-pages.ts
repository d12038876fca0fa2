/**
 * Reading a Query or a Scan to its end. DynamoDB answers at most 1 MB per call and says where to
 * go on (`LastEvaluatedKey`); these follow it, so no store spells that loop again. A reader that
 * needs only the first items stops the `for await` early, and no further page is read.
 *
 * @example
 * ```ts
 * const items = await queryAll(client, { TableName: tables.config, ...listingQuery(LIST.accounts) });
 * for await (const page of queryPages(client, input)) if (take(page)) break;
 * ```
 */
import type { QueryCommandInput, ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { QueryCommand, ScanCommand } from './commands.ts';
import type { DocumentClient, ScanningClient } from './document-client.ts';
import type { StoredItem } from './item-forms.ts';
import type { AttributeMap, DynamoRequester, OperationInput } from './json-protocol.ts';

interface Page<Item, Key> {
  Items?: Item[];
  LastEvaluatedKey?: Key;
}

async function* pagesOf<Item, Key>(
  read: (startKey: Key | undefined) => Promise<Page<Item, Key>>,
): AsyncGenerator<Item[]> {
  let startKey: Key | undefined;
  do {
    const page = await read(startKey);
    yield page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

async function allOf<Item>(pages: AsyncGenerator<Item[]>): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}

/** The items of every page of a Query, page by page (a page may be empty after a filter). */
export function queryPages(
  client: DocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): AsyncGenerator<StoredItem[]> {
  return pagesOf((startKey: Record<string, unknown> | undefined) =>
    client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })),
  );
}

/** Every item a Query matches, in DynamoDB's typed form, through a {@link DynamoRequester}. */
export function queryAllTyped(
  requester: DynamoRequester,
  input: Omit<OperationInput<'Query'>, 'ExclusiveStartKey'>,
): Promise<AttributeMap[]> {
  return allOf(
    pagesOf((startKey: AttributeMap | undefined) =>
      requester.request('Query', startKey ? { ...input, ExclusiveStartKey: startKey } : input),
    ),
  );
}

/** Every item a Query matches, in its order. */
export function queryAll(
  client: DocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<StoredItem[]> {
  return allOf(queryPages(client, input));
}

/** Every item a Scan matches. */
export function scanAll(
  client: ScanningClient,
  input: Omit<ScanCommandInput, 'ExclusiveStartKey'>,
): Promise<StoredItem[]> {
  return allOf(
    pagesOf((startKey: Record<string, unknown> | undefined) =>
      client.send(new ScanCommand({ ...input, ExclusiveStartKey: startKey })),
    ),
  );
}
