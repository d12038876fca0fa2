/**
 * The {@link RequestRates} in the State table, one item per key per UTC minute
 * (`RATE#key#<keyId>#<minute>`), each taken with one conditional `ADD`. `expiresAt` (the TTL attribute) lets
 * DynamoDB delete a minute's item a minute after it ends; nothing reads an old minute.
 *
 * @example
 * ```ts
 * const rates = new DynamoRequestRates(documentClient(), settings.tables.state);
 * await rates.take('key_1', 3, Date.now()); // true while fewer than 3 were taken this minute
 * ```
 */

import { keys } from '../../tables/keys.ts';
import { MINUTE_MS, type RequestRates } from '../request-rates.ts';
import { UpdateCommand } from './commands.ts';
import { conditionHeld } from './condition-failure.ts';
import { DynamoTableStore } from './table-store.ts';

export class DynamoRequestRates extends DynamoTableStore implements RequestRates {
  async take(keyId: string, limit: number, nowMs: number): Promise<boolean> {
    const minute = Math.floor(nowMs / MINUTE_MS);
    return conditionHeld(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.requestRate(keyId, minute),
          UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': limit,
            ':expiresAt': ((minute + 2) * MINUTE_MS) / 1000,
          },
        }),
      ),
    );
  }
}
