/**
 * {@link StrandedUsageRecords} on DynamoDB: the pending and `started` records of one day whose
 * claim has ended,
 * read through the Usage table's `gsi1` day listing (`REQS#<day>`) with a FilterExpression on
 * `state` and `leaseUntil`. No index of its own: the filter runs after the read, so a sweep reads
 * (and pays for) every record of the days it covers, which is why it covers only a few days.
 *
 * The index is eventually consistent, so a record it shows as stranded may have been finished or
 * taken over meanwhile; that is harmless, since the sweep goes through `recordUsage`, which reads
 * the record strongly consistently and only ever takes it over with a conditional claim.
 *
 * @example
 * ```ts
 * const stranded = new DynamoStrandedUsageRecords(documentClient(), settings.tables.usage);
 * for await (const page of stranded.strandedOn('2026-11-27', Date.now())) …
 * ```
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StrandedUsageRecords } from '../../recorder/pending-sweep.ts';
import { lostRecordFields } from '../../recorder/request-start.ts';
import { keys, USAGE_LIST } from '../../tables/keys.ts';
import type { StoredUsageRecord } from '../usage-ledger.ts';
import { conditionHeld } from './condition-failure.ts';
import { queryPages } from './query-pages.ts';
import { storedUsageRecordOf } from './usage-ledger.ts';

export class DynamoStrandedUsageRecords implements StrandedUsageRecords {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(client: DynamoDBDocumentClient, usageTableName: string) {
    this.#client = client;
    this.#tableName = usageTableName;
  }

  async *strandedOn(day: string, nowMs: number, sinceIso?: string): AsyncGenerator<StoredUsageRecord[]> {
    // The sort key starts with the ISO start time, so a window is a key condition: only its
    // records are read (and paid for).
    const pages = queryPages(this.#client, {
      TableName: this.#tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: sinceIso ? 'gsi1pk = :day AND gsi1sk >= :since' : 'gsi1pk = :day',
      // A pending record without a claim was given up after an error: nobody holds it.
      FilterExpression:
        '(#state = :pending OR #state = :started) AND (attribute_not_exists(#until) OR #until <= :now)',
      ExpressionAttributeNames: { '#state': 'state', '#until': 'leaseUntil' },
      ExpressionAttributeValues: {
        ':day': USAGE_LIST.recordsOfDay(day),
        ':pending': 'pending',
        ':started': 'started',
        ':now': nowMs,
        ...(sinceIso ? { ':since': sinceIso } : {}),
      },
    });
    for await (const items of pages) yield items.map(storedUsageRecordOf);
  }

  async markLost(requestId: string, expectedUntil: number, nowMs: number): Promise<boolean> {
    const { state, ...fields } = lostRecordFields(nowMs);
    const names: Record<string, string> = {
      '#state': 'state',
      '#until': 'leaseUntil',
      '#owner': 'leaseOwner',
    };
    const values: Record<string, unknown> = {
      ':started': 'started',
      ':expected': expectedUntil,
      ':lost': state,
    };
    const sets = Object.entries(fields).map(([field, value], index) => {
      names[`#f${index}`] = field;
      values[`:v${index}`] = value;
      return `#f${index} = :v${index}`;
    });
    return conditionHeld(() =>
      this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.usageRecord(requestId),
          UpdateExpression: `SET #state = :lost, ${sets.join(', ')} REMOVE #until, #owner`,
          // Only the started record the sweep listed: not one its event replaced meanwhile.
          ConditionExpression: '#state = :started AND #until = :expected',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }
}
