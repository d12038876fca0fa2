/**
 * {@link RequestStarts} on the Usage table: the `started` record is an ordinary usage record item
 * (`REQ#<id>`, listed under its day in `listing` and in the sparse `pending` index) in state `started`, with `leaseUntil` saying when
 * the sweep may call it lost. Both writes are conditional, so neither can touch a record the
 * recorder already wrote from the request's event.
 *
 * @example
 * ```ts
 * const starts = new DynamoRequestStarts(dynamoJsonClient(), settings.tables.usage);
 * await starts.markStarted(startedRecordOf(start, Date.now()), request.deadlineAt + STARTED_GRACE_MS);
 * ```
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { keys, usageRecordListing } from '../../tables/keys.ts';
import type { RequestStarts, StartedRecord } from '../request-starts.ts';
import { conditionHeld } from './condition-failure.ts';
import { ITEM_TRANSLATION } from './item-forms.ts';
import type { AttributeMap, DynamoRequester } from './json-protocol.ts';
import { DynamoTableStore } from './table-store.ts';

/** The claim owner a `started` record names: the gateway, not a recorder delivery. */
export const STARTED_CLAIM_OWNER = 'gateway';

/** Sent by the gateway on every request, so through its JSON client (json-client.ts). */
export class DynamoRequestStarts extends DynamoTableStore<DynamoRequester> implements RequestStarts {
  async markStarted(record: StartedRecord, leaseUntil: number): Promise<void> {
    const item = {
      ...keys.usageRecord(record.requestId),
      // Listed as pending from the start: the sweep finds it if the request never ends.
      ...usageRecordListing(record, true),
      ...record,
      // The claim is the request's, held by the gateway serving it until its deadline.
      leaseOwner: STARTED_CLAIM_OWNER,
      leaseUntil,
    };
    // Refused when the event was recorded first (a request id is never reused): the record says it all.
    await conditionHeld(() =>
      this.client.request('PutItem', {
        TableName: this.table,
        // The document client's translation: the item is the one the recorder reads and writes.
        Item: marshall(item, ITEM_TRANSLATION.marshallOptions) as AttributeMap,
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async forget(requestId: string): Promise<void> {
    const { pk, sk } = keys.usageRecord(requestId);
    await conditionHeld(() =>
      this.client.request('DeleteItem', {
        TableName: this.table,
        Key: { pk: { S: pk }, sk: { S: sk } },
        ConditionExpression: '#state = :started',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':started': { S: 'started' } },
      }),
    );
  }
}
