/**
 * The {@link StickyStore} in the State table: `STICKY#<groupId>#<sessionHash>` → the account that
 * served the session last, with `expiresAt` as both the binding's end and the TTL attribute.
 *
 * Reads are eventually consistent: a binding a few hundred milliseconds stale only costs a cold
 * prompt cache, and the read is half the price. An expired binding reads as absent because TTL
 * deletion is lazy.
 *
 * @example
 * ```ts
 * const store = new DynamoStickyStore(documentClient(), settings.tables.state);
 * await store.bind('g_1', hash, 'acct_1', nowSeconds + 3600);
 * (await store.find('g_1', hash, nowSeconds))?.accountId; // 'acct_1'
 * ```
 */

import { keys } from '../../tables/keys.ts';
import type { StickyStore } from '../sticky.ts';
import { batchGetItems, itemKeyId } from './batch-get.ts';
import { PutCommand } from './commands.ts';
import { DynamoTableStore } from './table-store.ts';

export class DynamoStickyStore extends DynamoTableStore implements StickyStore {
  async find(groupId: string, sessionHash: string, nowSeconds: number) {
    // A batch read, so that it joins the caller's records read in the same run (batch-get.ts).
    const key = keys.sticky(groupId, sessionHash);
    const found = await batchGetItems(this.client, this.table, [key], {
      attributes: ['accountId', 'expiresAt'],
    });
    const Item = found.get(itemKeyId(key));
    if (!Item || typeof Item.accountId !== 'string') return undefined;
    const expiresAt = Number(Item.expiresAt);
    return expiresAt >= nowSeconds ? { accountId: Item.accountId, expiresAt } : undefined;
  }

  async bind(groupId: string, sessionHash: string, accountId: string, expiresAt: number) {
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...keys.sticky(groupId, sessionHash), accountId, expiresAt },
      }),
    );
  }
}
