/**
 * The {@link SlotStore} in the State table: one item per index (`SLOT#user#<id>` / `000`, …), so a
 * bound is exact — at most `limit` indexes can be live at once — and nothing is a counter that a
 * crashed process could leave incremented.
 *
 * Every write is conditional and every condition compares `expiresAt` with the caller's clock:
 * DynamoDB's TTL deletes expired items hours late, so an expired lease must count as free even
 * while its item still exists.
 *
 * Take and release are most of the gateway's DynamoDB requests (two each per request), so the
 * store speaks DynamoDB's typed attribute form through a {@link DynamoRequester}: the gateway's JSON
 * client (json-client.ts), or the SDK (`sdkRequester`) for the admin API's listing.
 *
 * @example
 * ```ts
 * const store = new DynamoSlotStore(dynamoJsonClient(), settings.tables.state);
 * const pool = { kind: 'slot', scope: 'user', id: 'u_1' } as const;
 * if (await store.take(pool, 0, requestId, nowSeconds + 90, nowSeconds)) {
 *   // … serve the request, renewing every 30 s …
 *   await store.release(pool, 0, requestId);
 * }
 * ```
 */
import { type ItemKey, keys, slotIndexOf } from '../../tables/keys.ts';
import type { LeasePool, LiveLease, SlotStore } from '../slots.ts';
import { conditionHeld } from './condition-failure.ts';
import type { DynamoRequester } from './json-protocol.ts';
import { queryAllTyped } from './query-pages.ts';
import { DynamoTableStore } from './table-store.ts';

function keyOf(pool: LeasePool, index: number): ItemKey {
  return pool.kind === 'slot' ? keys.slot(pool.scope, pool.id, index) : keys.wait(pool.scope, pool.id, index);
}

function partitionOf(pool: LeasePool): string {
  return pool.kind === 'slot'
    ? keys.slotPartition(pool.scope, pool.id)
    : keys.waitPartition(pool.scope, pool.id);
}

const NAMES = { '#holder': 'holder', '#expiresAt': 'expiresAt' };

/** The item key in DynamoDB's typed attribute form. */
function attributeKeyOf(pool: LeasePool, index: number) {
  const { pk, sk } = keyOf(pool, index);
  return { pk: { S: pk }, sk: { S: sk } };
}

export class DynamoSlotStore extends DynamoTableStore<DynamoRequester> implements SlotStore {
  async take(pool: LeasePool, index: number, holder: string, expiresAt: number, nowSeconds: number) {
    return conditionHeld(() =>
      this.client.request('PutItem', {
        TableName: this.table,
        Item: {
          ...attributeKeyOf(pool, index),
          holder: { S: holder },
          expiresAt: { N: String(expiresAt) },
        },
        ConditionExpression: 'attribute_not_exists(pk) OR #expiresAt < :now',
        ExpressionAttributeNames: { '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
      }),
    );
  }

  async renew(pool: LeasePool, index: number, holder: string, expiresAt: number) {
    // Conditioned on the holder alone: a lease that lapsed but was not retaken is still ours,
    // and a renewal landing after the release finds no holder and changes nothing.
    return conditionHeld(() =>
      this.client.request('UpdateItem', {
        TableName: this.table,
        Key: attributeKeyOf(pool, index),
        UpdateExpression: 'SET #expiresAt = :expiresAt',
        ConditionExpression: '#holder = :holder',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: { ':expiresAt': { N: String(expiresAt) }, ':holder': { S: holder } },
      }),
    );
  }

  async release(pool: LeasePool, index: number, holder: string) {
    // Refused when the lease lapsed and was retaken: it is the new holder's now.
    await conditionHeld(() =>
      this.client.request('DeleteItem', {
        TableName: this.table,
        Key: attributeKeyOf(pool, index),
        ConditionExpression: '#holder = :holder',
        ExpressionAttributeNames: { '#holder': 'holder' },
        ExpressionAttributeValues: { ':holder': { S: holder } },
      }),
    );
  }

  async live(pool: LeasePool, nowSeconds: number) {
    // A partition holds at most one item per index ever used, so this is one page in practice.
    const items = await queryAllTyped(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ConsistentRead: true,
      ProjectionExpression: 'sk, #holder, #expiresAt',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ':pk': { S: partitionOf(pool) } },
    });
    const leases: LiveLease[] = [];
    for (const item of items) {
      const { sk, holder, expiresAt } = item;
      if (!sk || !('S' in sk) || !holder || !('S' in holder) || !expiresAt || !('N' in expiresAt)) continue;
      const until = Number(expiresAt.N);
      if (until >= nowSeconds) leases.push({ index: slotIndexOf(sk.S), holder: holder.S, expiresAt: until });
    }
    return leases;
  }
}
