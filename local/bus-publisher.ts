/**
 * Publishes usage events to the in-process bus exactly as the gateway's EventBridge entries
 * look: same source, detail-type and JSON detail.
 */
import {
  USAGE_EVENT_DETAIL_TYPE,
  USAGE_EVENT_SOURCE,
  type UsageEventDetail,
  type UsageEventPublisher,
} from '#shared/events/usage-event.ts';
import type { InProcessEventBus } from './event-bus.ts';

export class BusUsagePublisher implements UsageEventPublisher {
  constructor(
    private readonly bus: InProcessEventBus,
    private readonly busName: string,
  ) {}

  async publish(detail: UsageEventDetail): Promise<void> {
    const result = await this.bus.putEvents([
      {
        Source: USAGE_EVENT_SOURCE,
        DetailType: USAGE_EVENT_DETAIL_TYPE,
        Detail: JSON.stringify(detail),
        EventBusName: this.busName,
      },
    ]);
    if (result.FailedEntryCount) throw new Error('the local bus refused the usage event');
  }
}
