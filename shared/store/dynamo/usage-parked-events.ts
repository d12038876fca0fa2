/**
 * {@link ParkedUsageEvents} in the Usage table: `PARKED#<requestId>` / `PARKED`, listed oldest
 * first through `gsi1` (`PARKED` / `<parkedAt>#<requestId>`). The item keeps the whole event
 * detail (ids and counts, no secrets), so a parked event can be recorded without the gateway.
 *
 * The gateway needs `dynamodb:PutItem` on the Usage table to park; the recorder (and the CLI)
 * need `Query` on its `gsi1` and `DeleteItem` to drain.
 *
 * @example
 * ```ts
 * const parked = new DynamoParkedUsageEvents(documentClient(), settings.tables.usage);
 * await parked.park(detail, 'ThrottlingException');
 * ```
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageEventDetail } from '../../events/usage-event.ts';
import { keys, USAGE_LIST } from '../../tables/keys.ts';
import type { ParkedUsageEvent, ParkedUsageEvents } from '../parked-events.ts';
import { DynamoTableStore } from './table-store.ts';

export class DynamoParkedUsageEvents extends DynamoTableStore implements ParkedUsageEvents {
  readonly #now: () => number;

  constructor(client: DynamoDBDocumentClient, usageTableName: string, now: () => number = Date.now) {
    super(client, usageTableName);
    this.#now = now;
  }

  async park(detail: UsageEventDetail, reason: string): Promise<void> {
    const parkedAt = new Date(this.#now()).toISOString();
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          ...keys.parkedEvent(detail.requestId),
          gsi1pk: USAGE_LIST.parked,
          gsi1sk: `${parkedAt}#${detail.requestId}`,
          kind: 'parkedEvent',
          requestId: detail.requestId,
          parkedAt,
          reason,
          detail,
        },
      }),
    );
  }

  async list(limit: number): Promise<ParkedUsageEvent[]> {
    const { Items: items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :parked',
        ExpressionAttributeValues: { ':parked': USAGE_LIST.parked },
        Limit: limit,
      }),
    );
    return items.map((item) => ({
      requestId: item.requestId as string,
      parkedAt: item.parkedAt as string,
      reason: item.reason as string,
      detail: item.detail as UsageEventDetail,
    }));
  }

  async remove(requestId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.table, Key: keys.parkedEvent(requestId) }));
  }
}
