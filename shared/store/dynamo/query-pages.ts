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
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';

export type StoredItem = Record<string, unknown>;

type StartKey = Record<string, unknown> | undefined;

interface Page {
  Items?: StoredItem[];
  LastEvaluatedKey?: Record<string, unknown>;
}

async function* pagesOf(read: (startKey: StartKey) => Promise<Page>): AsyncGenerator<StoredItem[]> {
  let startKey: StartKey;
  do {
    const page = await read(startKey);
    yield page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

async function allOf(pages: AsyncGenerator<StoredItem[]>): Promise<StoredItem[]> {
  const items: StoredItem[] = [];
  for await (const page of pages) items.push(...page);
  return items;
}

/** The items of every page of a Query, page by page (a page may be empty after a filter). */
export function queryPages(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): AsyncGenerator<StoredItem[]> {
  return pagesOf((startKey) => client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })));
}

/** Every item a Query matches, in its order. */
export function queryAll(
  client: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ExclusiveStartKey'>,
): Promise<StoredItem[]> {
  return allOf(queryPages(client, input));
}

/** Every item a Scan matches. */
export function scanAll(
  client: DynamoDBDocumentClient,
  input: Omit<ScanCommandInput, 'ExclusiveStartKey'>,
): Promise<StoredItem[]> {
  return allOf(
    pagesOf((startKey) => client.send(new ScanCommand({ ...input, ExclusiveStartKey: startKey }))),
  );
}
