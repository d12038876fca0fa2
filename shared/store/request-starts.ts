/**
 * Where the gateway writes and removes the `started` usage record of a request it admitted
 * (see `shared/recorder/request-start.ts`): it makes a request the gateway never finished visible
 * to the sweep, which closes it as `lost`. The DynamoDB implementation is
 * `shared/store/dynamo/usage-ledger-started.ts`.
 *
 * @example
 * ```ts
 * await starts.markStarted(startedRecordOf(start, Date.now()), leaseUntil);
 * await starts.forget(start.requestId); // the request was refused after all
 * ```
 */
import type { UsageRecord } from '../recorder/usage-record.ts';

/** The part of a usage record a `started` item holds. */
export type StartedRecord = Pick<
  UsageRecord,
  | 'kind'
  | 'eventVersion'
  | 'requestId'
  | 'startedAt'
  | 'day'
  | 'userId'
  | 'apiKeyId'
  | 'groupId'
  | 'billingMode'
  | 'rateMultiplier'
  | 'modelRequested'
  | 'stream'
  | 'route'
  | 'state'
  | 'recordedAt'
>;

/** Where the gateway writes and removes `started` records (the Usage table on AWS). */
export interface RequestStarts {
  /** Writes the record unless one with its id exists; held until `leaseUntil` (epoch ms). */
  markStarted(record: StartedRecord, leaseUntil: number): Promise<void>;
  /** Removes the record if it is still `started` (the request was not served). */
  forget(requestId: string): Promise<void>;
}
