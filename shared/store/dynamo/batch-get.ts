/**
 * Reading a few items of one table in one request (BatchGetItem), retrying the keys DynamoDB
 * leaves unprocessed (it may, under throttling or past 16 MB) a bounded number of times.
 *
 * @example
 * ```ts
 * const found = await batchGetItems(client, tables.config, [keys.user('u_1'), keys.settings()]);
 * found.get(itemKeyId(keys.user('u_1'))); // the item, or undefined when it does not exist
 * ```
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ItemKey } from '../../tables/keys.ts';
import type { StoredItem } from './query-pages.ts';

/** Attempts for keys left unprocessed, with a short doubling pause between them. */
const ATTEMPTS = 4;
const FIRST_PAUSE_MS = 10;

/** The map key of an item in {@link batchGetItems}' answer. */
export function itemKeyId(key: ItemKey): string {
  return `${key.pk}\u0000${key.sk}`;
}

/**
 * Reads of up to 100 keys, eventually consistent (as the single-item Config reads) unless
 * `consistentRead` asks for strongly consistent ones; the answer maps {@link itemKeyId} to each
 * item found.
 */
export async function batchGetItems(
  client: DynamoDBDocumentClient,
  tableName: string,
  itemKeys: readonly ItemKey[],
  options: { consistentRead?: boolean } = {},
): Promise<Map<string, StoredItem>> {
  const found = new Map<string, StoredItem>();
  let pending: Record<string, unknown>[] = itemKeys.map((key) => ({ pk: key.pk, sk: key.sk }));
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= ATTEMPTS) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed`);
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, FIRST_PAUSE_MS * 2 ** (attempt - 1)));
    const output = await client.send(
      new BatchGetCommand({
        RequestItems: {
          [tableName]: { Keys: pending, ...(options.consistentRead ? { ConsistentRead: true } : {}) },
        },
      }),
    );
    for (const item of output.Responses?.[tableName] ?? [])
      found.set(itemKeyId({ pk: String(item.pk), sk: String(item.sk) }), item);
    pending = output.UnprocessedKeys?.[tableName]?.Keys ?? [];
  }
  return found;
}
