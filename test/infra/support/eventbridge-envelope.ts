/**
 * The event a rule target receives for one PutEvents entry: EventBridge wraps the entry's
 * Source, DetailType and JSON Detail in its envelope (version "0", id, account, time, region,
 * resources). Rules match against this envelope, so pattern tests must too.
 */
import { randomUUID } from 'node:crypto';
import type { PutEventsEntry } from '#shared/events/eventbridge-client.ts';

export function envelopeOf(
  entry: PutEventsEntry,
  where: { account: string; region: string } = { account: '123456789012', region: 'eu-west-1' },
): Record<string, unknown> {
  if (entry.Source === undefined || entry.DetailType === undefined || entry.Detail === undefined) {
    throw new Error('EventBridge rejects an entry without Source, DetailType and Detail');
  }
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: where.account,
    time: (entry.Time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: where.region,
    resources: entry.Resources ?? [],
    detail: JSON.parse(entry.Detail) as unknown,
  };
}
