/**
 * {@link AlertPublisher} on EventBridge: one PutEvents entry per alert on the stack's bus (the
 * local stack answers through its in-process bus). Entries the bus refuses make `publish` throw,
 * and the alert watch leaves those alerts to the scheduled republish; the client's own retries
 * (the SDK's standard three attempts, `lazyEventBridgeClient()`) handle throttling. IAM:
 * `events:PutEvents` on the bus.
 *
 * @example
 * ```ts
 * const publisher = new EventBridgeAlertPublisher(lazyEventBridgeClient(), settings.eventBusName);
 * await publisher.publish([alert]);
 * ```
 */
import type { PutEventsEntry, PutEventsSender } from '../events/eventbridge-client.ts';
import type { AlertPublisher } from '../store/alert-store.ts';
import { ALERT_EVENT_DETAIL_TYPE, ALERT_EVENT_SOURCE, type Alert } from './alert.ts';

const MAX_ENTRIES_PER_CALL = 10;

/** The PutEvents entry of an alert; the infra tests match the SNS rule's pattern against it. */
export function buildAlertEntry(alert: Alert, eventBusName: string): PutEventsEntry {
  return {
    EventBusName: eventBusName,
    Source: ALERT_EVENT_SOURCE,
    DetailType: ALERT_EVENT_DETAIL_TYPE,
    Detail: JSON.stringify(alert),
    Time: new Date(alert.at),
  };
}

export class EventBridgeAlertPublisher implements AlertPublisher {
  readonly #client: PutEventsSender;
  readonly #eventBusName: string;

  constructor(client: PutEventsSender, eventBusName: string) {
    this.#client = client;
    this.#eventBusName = eventBusName;
  }

  async publish(alerts: readonly Alert[]): Promise<void> {
    for (let start = 0; start < alerts.length; start += MAX_ENTRIES_PER_CALL) {
      const entries = alerts
        .slice(start, start + MAX_ENTRIES_PER_CALL)
        .map((alert) => buildAlertEntry(alert, this.#eventBusName));
      const result = await this.#client.putEvents(entries);
      if (result.FailedEntryCount) {
        const codes = (result.Entries ?? []).map((entry) => entry.ErrorCode).filter(Boolean);
        throw new Error(`the bus refused ${result.FailedEntryCount} alert(s): ${codes.join(', ')}`);
      }
    }
  }
}
