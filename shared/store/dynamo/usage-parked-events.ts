/**
 * {@link ParkedUsageEvents} in the Usage table: `PARKED#<requestId>` / `PARKED`, listed oldest
 * first through the `listing` index (`PARKED` / `<parkedAt>#<requestId>`), whose entries name
 * the items, read whole by key. The item keeps the whole event detail (ids and counts, no
 * secrets), so a parked event can be recorded without the gateway.
 *
 * The gateway needs `dynamodb:PutItem` on the Usage table to park; the recorder (and the CLI)
 * need `Query` on its `listing`, `BatchGetItem` and `DeleteItem` to drain.
 *
 * @example
 * ```ts
 * const parked = new DynamoParkedUsageEvents(documentClient(), settings.tables.usage);
 * await parked.park(detail, 'ThrottlingException');
 * ```
 */

import type { UsageEventDetail } from '../../events/usage-event.ts';
import { USAGE_LIST_INDEX } from '../../tables/definitions.ts';
import { keys, USAGE_LIST } from '../../tables/keys.ts';
import type { ParkedUsageEvent, ParkedUsageEvents } from '../parked-events.ts';
import { DeleteCommand, PutCommand, QueryCommand } from './commands.ts';
import type { DocumentClient } from './document-client.ts';
import { readListedItems } from './listed-items.ts';
import { DynamoTableStore } from './table-store.ts';

export class DynamoParkedUsageEvents extends DynamoTableStore implements ParkedUsageEvents {
  readonly #now: () => number;

  constructor(client: DocumentClient, usageTableName: string, now: () => number = Date.now) {
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
    const { Items: entries = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: USAGE_LIST_INDEX,
        KeyConditionExpression: 'gsi1pk = :parked',
        ExpressionAttributeValues: { ':parked': USAGE_LIST.parked },
        Limit: limit,
      }),
    );
    // An event drained since the query (by another recorder) is gone, and left out.
    const items = await readListedItems(this.client, this.table, entries);
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
