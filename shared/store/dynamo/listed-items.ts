/**
 * The items a narrow listing index names, read whole. The Config and Usage `listing` indexes copy
 * only what never changes after an item's first write (so a charge or a counter added writes no
 * index entry); a reader that needs the rest queries the index for the entries, then reads the
 * items they name by key here: strongly consistent, so an item an entry names is always found
 * (only a delete since the query leaves one out) and holds its latest state, whatever the index's
 * lag.
 *
 * Cost: one read unit per item of up to 4 KB (a usage record or an aggregate is well under), on
 * top of the index query, whose small entries cost little; a listing reads only the entries its
 * index filter kept.
 *
 * @example
 * ```ts
 * const entries = await queryAll(client, { TableName: table, IndexName: 'listing', … });
 * const items = await readListedItems(client, table, entries); // whole, in the entries' order
 * ```
 */

import { batchGetItems, itemKeyId } from './batch-get.ts';
import type { DocumentClient } from './document-client.ts';
import type { StoredItem } from './item-forms.ts';

/**
 * Keys read per wave: {@link batchGetItems} sends them in requests of 100 (DynamoDB's limit), so
 * at most 10 requests of one listing are in flight at once.
 */
const KEYS_PER_WAVE = 1000;

/**
 * The items `entries` name (each has the table's `pk` and `sk`), in the entries' order; an entry
 * whose item was deleted since the index listed it is left out.
 */
export async function readListedItems(
  client: DocumentClient,
  tableName: string,
  entries: readonly StoredItem[],
): Promise<StoredItem[]> {
  const keys = entries.map((entry) => ({ pk: String(entry.pk), sk: String(entry.sk) }));
  const found = new Map<string, StoredItem>();
  for (let start = 0; start < keys.length; start += KEYS_PER_WAVE) {
    const wave = keys.slice(start, start + KEYS_PER_WAVE);
    for (const [id, item] of await batchGetItems(client, tableName, wave, { consistentRead: true }))
      found.set(id, item);
  }
  return keys.flatMap((key) => {
    const item = found.get(itemKeyId(key));
    return item ? [item] : [];
  });
}
