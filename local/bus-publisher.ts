/**
 * The gateway's usage events on the local stack go through the same publisher as on AWS,
 * {@link EventBridgeUsagePublisher}, with its retries of failed entries and its parking of the
 * ones that keep failing; only the sender underneath is the in-process bus instead of the
 * service. A local publisher of its own would be a second code path, and the first one written
 * dropped every event the bus refused (the gateway logged "usage event lost").
 *
 * @example
 * ```ts
 * const publisher = new BusUsagePublisher(bus, settings.eventBusName, {
 *   parking: new DynamoParkedUsageEvents(client, settings.tables.usage),
 *   logger,
 * });
 * await publisher.publish(detail); // accepted by the bus, or parked
 * ```
 */
import type { PutEventsSender } from '#shared/events/eventbridge-client.ts';
import {
  type EventBridgePublisherOptions,
  EventBridgeUsagePublisher,
} from '#shared/events/eventbridge-publisher.ts';
import type { InProcessEventBus } from './event-bus.ts';

/**
 * A PutEvents sender the bus answers, so no endpoint, region or credentials are needed. The bus
 * may be another process's: the recorder's child process puts its alerts on the stack's bus this
 * way. A call the bus refuses as a whole fails as the service's would, with a 400 status the
 * publisher does not retry.
 */
export function createBusEventBridgeClient(bus: Pick<InProcessEventBus, 'putEvents'>): PutEventsSender {
  return {
    async putEvents(entries) {
      try {
        return await bus.putEvents(entries);
      } catch (error) {
        if (error instanceof Error) Object.assign(error, { $metadata: { httpStatusCode: 400 } });
        throw error;
      }
    },
  };
}

/** {@link EventBridgeUsagePublisher} over the in-process bus. */
export class BusUsagePublisher extends EventBridgeUsagePublisher {
  constructor(
    bus: InProcessEventBus,
    eventBusName: string,
    options: Omit<EventBridgePublisherOptions, 'client' | 'eventBusName'>,
  ) {
    super({ ...options, client: createBusEventBridgeClient(bus), eventBusName });
  }
}
