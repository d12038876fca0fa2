/**
 * The benchmark's EventBridge: a local PutEvents endpoint (test/support/put-events-server.ts) in
 * a process of its own, in front of an in-process bus that checks and keeps the entries as the
 * service would. The gateway under benchmark publishes every usage event to it with the
 * EventBridge client it uses on AWS (signing, HTTP, the answer's parsing), so that work is in the
 * gateway's CPU figure; the endpoint's own work is not.
 *
 * Calls: `reset` (forget the events kept), `published` (how many usage events since `reset`, and
 * the last one's usage and source), `events` (the first N usage events since `reset`, as the
 * recorder would receive them).
 */
import { InProcessEventBus } from '#local/event-bus.ts';
import { USAGE_EVENT_DETAIL_TYPE } from '#shared/events/usage-event.ts';
import { startPutEventsServer } from '../test/support/put-events-server.ts';
import { answerParent } from './ipc.ts';

const bus = new InProcessEventBus();
const server = await startPutEventsServer((entries) => bus.putEvents(entries));
const usageEvents = () =>
  bus.events.filter((envelope) => envelope['detail-type'] === USAGE_EVENT_DETAIL_TYPE);

answerParent(
  {
    reset() {
      // Nothing subscribes here; keeping every call and envelope would only grow this process.
      bus.events.splice(0);
      server.calls.splice(0);
    },
    published() {
      const events = usageEvents();
      const last = events.at(-1)?.detail as { usage?: unknown; usageSource?: unknown } | undefined;
      return { events: events.length, usage: last?.usage, usageSource: last?.usageSource };
    },
    events: (limit) => usageEvents().slice(0, Number(limit)),
  },
  { url: server.url },
  () => server.close(),
);
