/**
 * {@link RefreshLeases} in the State table: one item per OAuth account (`REFRESH#acct#<id>`),
 * taken with a conditional Put and deleted by its holder. OpenAI rotates refresh tokens, so a
 * token spent twice is a dead account: this lease is what guarantees one refresher at a time
 * across every gateway instance and the schedule.
 *
 * The expiry check sits inside the ConditionExpression because DynamoDB's TTL deletes expired
 * items hours late: a holder that died frees the lease when `expiresAt` passes, not when TTL runs.
 *
 * @example
 * ```ts
 * const leases = new DynamoRefreshLeases(documentClient(), settings.tables.state);
 * if (await leases.acquire('acc_1', holder, now + 45, now)) await leases.release('acc_1', holder);
 * ```
 */

import { keys } from '../../tables/keys.ts';
import type { RefreshLeases } from '../refresh-leases.ts';
import { DeleteCommand, PutCommand } from './commands.ts';
import { conditionHeld } from './condition-failure.ts';
import { DynamoTableStore } from './table-store.ts';

export class DynamoRefreshLeases extends DynamoTableStore implements RefreshLeases {
  async acquire(accountId: string, holder: string, expiresAt: number, nowSeconds: number): Promise<boolean> {
    return conditionHeld(() =>
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.refreshLease(accountId), holder, expiresAt },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      ),
    );
  }

  async release(accountId: string, holder: string): Promise<void> {
    // Refused when lost to expiry and taken by another refresher: the lease is theirs now.
    await conditionHeld(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: keys.refreshLease(accountId),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }
}
