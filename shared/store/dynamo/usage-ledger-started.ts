/**
 * {@link RequestStarts} on the Usage table: the `started` record is an ordinary usage record item
 * (`REQ#<id>`, listed under its day in `gsi1` and in the sparse `pending` index) in state `started`, with `leaseUntil` saying when
 * the sweep may call it lost. Both writes are conditional, so neither can touch a record the
 * recorder already wrote from the request's event.
 *
 * @example
 * ```ts
 * const starts = new DynamoRequestStarts(documentClient(), settings.tables.usage);
 * await starts.markStarted(startedRecordOf(start, Date.now()), request.deadlineAt + STARTED_GRACE_MS);
 * ```
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys, usageRecordListing } from '../../tables/keys.ts';
import type { RequestStarts, StartedRecord } from '../request-starts.ts';
import { conditionHeld } from './condition-failure.ts';
import { DynamoTableStore } from './table-store.ts';

/** The claim owner a `started` record names: the gateway, not a recorder delivery. */
export const STARTED_CLAIM_OWNER = 'gateway';

export class DynamoRequestStarts extends DynamoTableStore implements RequestStarts {
  async markStarted(record: StartedRecord, leaseUntil: number): Promise<void> {
    // Refused when the event was recorded first (a request id is never reused): the record says it all.
    await conditionHeld(() =>
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...keys.usageRecord(record.requestId),
            // Listed as pending from the start: the sweep finds it if the request never ends.
            ...usageRecordListing(record, true),
            ...record,
            // The claim is the request's, held by the gateway serving it until its deadline.
            leaseOwner: STARTED_CLAIM_OWNER,
            leaseUntil,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async forget(requestId: string): Promise<void> {
    await conditionHeld(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: keys.usageRecord(requestId),
          ConditionExpression: '#state = :started',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':started': 'started' },
        }),
      ),
    );
  }
}
