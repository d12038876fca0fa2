/**
 * The gateway's {@link UsageEventPublisher} on AWS: EventBridge PutEvents, at most 10 entries
 * per call. PutEvents fails in two ways and both are retried with exponential backoff and full
 * jitter: the whole call (throttling, 5xx, network) and single entries (`FailedEntryCount` > 0,
 * entry `ErrorCode` ThrottlingException/InternalFailure), in which case only the failed entries
 * are sent again. An entry that still fails, or fails with a non-retryable code, is parked
 * durably (a `PARKED#` item in the Usage table, drained into the recorder later) and an error is
 * logged: a served request is never dropped silently. If even parking fails, the full detail
 * (ids and counts, no secrets) is logged at error level so it can be replayed from the logs.
 *
 * It sends through a {@link PutEventsSender}: on AWS the gateway's own EventBridge client
 * (eventbridge-client.ts) built with `maxAttempts: 1`, so the retry policy lives here, in one
 * place; locally the in-process bus. IAM: `events:PutEvents` on the bus, `dynamodb:PutItem` on
 * the Usage table (parking).
 *
 * @example
 * ```ts
 * const publisher = new EventBridgeUsagePublisher({
 *   client: createEventBridgeClient({ maxAttempts: 1 }), eventBusName: settings.eventBusName, parking, logger,
 * });
 * await publisher.publish(detail); // resolves once accepted or parked
 * ```
 */

import type { Logger } from '@aws-lambda-powertools/logger';
import type { ParkedUsageEvents } from '../store/parked-events.ts';
import type { PutEventsEntry, PutEventsSender } from './eventbridge-client.ts';
import {
  USAGE_EVENT_DETAIL_TYPE,
  USAGE_EVENT_SOURCE,
  type UsageEventDetail,
  type UsageEventPublisher,
} from './usage-event.ts';

/** PutEvents accepts at most this many entries per call. */
export const MAX_ENTRIES_PER_CALL = 10;
/** EventBridge's limit on one entry, Source + DetailType + Detail + bus name counted together. */
export const MAX_ENTRY_BYTES = 256 * 1024;

const RETRYABLE_ENTRY_CODES = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);
const RETRYABLE_ERROR_NAMES = new Set([
  'ThrottlingException',
  'InternalException',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
]);

/** The PutEvents entry of a usage event; the infra tests match the rule's pattern against it. */
export function buildUsageEventEntry(detail: UsageEventDetail, eventBusName: string): PutEventsEntry {
  return {
    EventBusName: eventBusName,
    Source: USAGE_EVENT_SOURCE,
    DetailType: USAGE_EVENT_DETAIL_TYPE,
    Detail: JSON.stringify(detail),
    Time: new Date(detail.endedAt),
  };
}

function entryBytes(entry: PutEventsEntry): number {
  return [entry.Source, entry.DetailType, entry.Detail, entry.EventBusName].reduce(
    (total, part) => total + Buffer.byteLength(part ?? ''),
    0,
  );
}

/** Whether a failed PutEvents call is worth repeating. */
export function isRetryablePublishError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (RETRYABLE_ERROR_NAMES.has(error.name)) return true;
  if (status === undefined) return true; // no response at all: network trouble
  return status >= 500;
}

export interface EventBridgePublisherOptions {
  client: PutEventsSender;
  eventBusName: string;
  parking: Pick<ParkedUsageEvents, 'park'>;
  logger: Pick<Logger, 'warn' | 'error'>;
  /** Tries per entry, first one included; default 5. */
  maxAttempts?: number;
  /** First backoff ceiling; doubles per retry up to `maxDelayMs`. Defaults 100 ms and 2 s. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

interface Pending {
  detail: UsageEventDetail;
  entry: PutEventsEntry;
  /** Why the last attempt failed. */
  reason: string;
}

export class EventBridgeUsagePublisher implements UsageEventPublisher {
  readonly #options: EventBridgePublisherOptions;

  constructor(options: EventBridgePublisherOptions) {
    this.#options = options;
  }

  publish(detail: UsageEventDetail): Promise<void> {
    return this.publishAll([detail]);
  }

  /** Publishes many events, 10 per call; resolves once each is accepted or parked. */
  async publishAll(details: readonly UsageEventDetail[]): Promise<void> {
    const oversized: Pending[] = [];
    const pending: Pending[] = [];
    for (const detail of details) {
      const entry = buildUsageEventEntry(detail, this.#options.eventBusName);
      (entryBytes(entry) > MAX_ENTRY_BYTES ? oversized : pending).push({
        detail,
        entry,
        reason: 'EntryTooLarge',
      });
    }
    const batches: Promise<Pending[]>[] = [];
    for (let start = 0; start < pending.length; start += MAX_ENTRIES_PER_CALL) {
      batches.push(this.#sendWithRetries(pending.slice(start, start + MAX_ENTRIES_PER_CALL)));
    }
    const failed = [...oversized, ...(await Promise.all(batches)).flat()];
    const lost = (await Promise.all(failed.map((item) => this.#park(item)))).filter(
      (item) => item !== undefined,
    );
    if (lost.length > 0) {
      throw new Error(
        `${lost.length} usage event(s) could neither be published nor parked: ${lost.join(', ')}`,
      );
    }
  }

  /** Sends until every entry is accepted or out of tries; returns the ones still failing. */
  async #sendWithRetries(batch: Pending[]): Promise<Pending[]> {
    const maxAttempts = this.#options.maxAttempts ?? 5;
    let remaining = batch;
    const given: Pending[] = [];
    for (let attempt = 1; remaining.length > 0; attempt += 1) {
      const retry: Pending[] = [];
      try {
        const result = await this.#options.client.putEvents(remaining.map((item) => item.entry));
        const outcomes = result.Entries;
        if (!outcomes && !result.FailedEntryCount) return given;
        remaining.forEach((item, index) => {
          const outcome = outcomes?.[index];
          if (outcome && !outcome.ErrorCode) return;
          // Results are positional; an entry without one is treated as failed, never as sent.
          const code = outcome?.ErrorCode ?? 'InternalFailure';
          item.reason = code;
          (RETRYABLE_ENTRY_CODES.has(code) ? retry : given).push(item);
        });
      } catch (error) {
        const name = error instanceof Error ? error.name : 'UnknownError';
        for (const item of remaining) item.reason = name;
        (isRetryablePublishError(error) ? retry : given).push(...remaining);
      }
      if (attempt >= maxAttempts) return [...given, ...retry];
      remaining = retry;
      if (remaining.length > 0) await this.#backoff(attempt);
    }
    return given;
  }

  #backoff(attempt: number): Promise<void> {
    const { baseDelayMs = 100, maxDelayMs = 2000, random = Math.random } = this.#options;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    const sleep =
      this.#options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    return sleep(Math.round(random() * ceiling));
  }

  /** Parks a failed event; returns its request id when even that failed. */
  async #park(item: Pending): Promise<string | undefined> {
    const { logger, parking } = this.#options;
    try {
      await parking.park(item.detail, item.reason);
      logger.error('Usage event could not be published to EventBridge; parked for replay', {
        requestId: item.detail.requestId,
        reason: item.reason,
      });
      return undefined;
    } catch (error) {
      logger.error('Usage event could not be published nor parked; recover it from this log entry', {
        requestId: item.detail.requestId,
        reason: item.reason,
        parkingError: error instanceof Error ? error.name : String(error),
        usageEvent: item.detail,
      });
      return item.detail.requestId;
    }
  }
}
