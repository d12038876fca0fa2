/**
 * The local stand-in for EventBridge: `putEvents` takes the same entries and answers in the same
 * shape as PutEvents (so the publisher code path is the one used on AWS), wraps each entry in
 * the EventBridge envelope, and delivers it to matching subscribers asynchronously, at least
 * once: a target that throws is retried with exponential backoff, and a delivery that runs out
 * of attempts lands in {@link InProcessEventBus.deadLetters}, as the stack's SQS DLQ would get it.
 *
 * Like the real service it may deliver an event twice; `duplicateEvery` makes that happen on
 * purpose so consumers prove they are idempotent.
 *
 * @example
 * ```ts
 * const bus = new InProcessEventBus();
 * bus.subscribe({ source: ['quotagate.gateway'] }, async (envelope) => recordUsage(envelope));
 * await bus.putEvents([{ Source: 'quotagate.gateway', DetailType: 'quotagate.usage.v1', Detail: '{}' }]);
 * await bus.drain();
 * ```
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PutEventsEntry, PutEventsResultEntry } from '#shared/events/eventbridge-client.ts';
import { Turns } from './turns.ts';

/** An event as an EventBridge rule target receives it. */
export interface EventEnvelope<TDetail = Record<string, unknown>> {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601 with second precision, as EventBridge writes it. */
  time: string;
  region: string;
  resources: string[];
  detail: TDetail;
}

/** The subset of EventBridge event patterns the stack's rules use: exact matches on these fields. */
export interface EventPattern {
  source?: string[];
  'detail-type'?: string[];
}

export type BusTarget = (envelope: EventEnvelope) => Promise<void>;

export interface SubscribeOptions {
  /** Attempts before the delivery is dead-lettered (first try included). */
  maxAttempts?: number;
  /** Delay before the first retry; doubles with each further one. */
  retryDelayMs?: number;
  /** Names the subscription in logs and dead letters. */
  name?: string;
  /**
   * Attempts running at once for this target; the others wait in the bus for their turn, in
   * order, as events wait for a free instance of a function whose concurrency is capped, and
   * an attempt starts only when it runs (a target that times itself starts then). Unbounded by
   * default.
   */
  maxConcurrency?: number;
  /**
   * Awaited before each attempt, outside the target's turns: a hold of its deliveries (the local
   * stack's recorder waits while a gateway invocation is before its first byte). It must resolve.
   */
  hold?: () => Promise<void>;
}

export interface DeadLetter {
  envelope: EventEnvelope;
  subscription: string;
  attempts: number;
  error: unknown;
}

export interface Delivery {
  envelope: EventEnvelope;
  subscription: string;
  attempt: number;
}

export interface PutEventsOutput {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export interface BusLogger {
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface InProcessEventBusOptions {
  /** Every n-th delivery is made twice, concurrently (at-least-once, on purpose). */
  duplicateEvery?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  logger?: BusLogger;
  /** Entries for which this returns true fail with `InternalFailure`, to exercise publisher retries. */
  failEntry?: (entry: PutEventsEntry) => boolean;
  /** Events kept in {@link InProcessEventBus.events}; the oldest go first. Unbounded by default. */
  historyLimit?: number;
}

interface Subscription {
  pattern: EventPattern;
  target: BusTarget;
  name: string;
  maxAttempts: number;
  retryDelayMs: number;
  turns: Turns;
  hold: (() => Promise<void>) | undefined;
}

type BusEvents = {
  event: [EventEnvelope];
  delivered: [Delivery];
  failed: [DeadLetter];
};

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

const stderrLogger: BusLogger = {
  warn: (message, attributes) => console.error(JSON.stringify({ level: 'WARN', message, ...attributes })),
  error: (message, attributes) => console.error(JSON.stringify({ level: 'ERROR', message, ...attributes })),
};

export class InProcessEventBus extends EventEmitter<BusEvents> {
  /** Every event accepted, in order (the latest `historyLimit` of them when one is set). */
  readonly events: EventEnvelope[] = [];
  /** Deliveries that exhausted their attempts, with the last error. */
  readonly deadLetters: DeadLetter[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly logger: BusLogger;
  private deliveryCount = 0;

  constructor(private readonly options: InProcessEventBusOptions = {}) {
    super();
    this.logger = options.logger ?? stderrLogger;
  }

  /**
   * PutEvents: the whole call is refused (throws) past 10 entries or 256 KB, as the service
   * answers a ValidationException; otherwise each entry succeeds or fails on its own.
   */
  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsOutput> {
    if (entries.length === 0 || entries.length > MAX_ENTRIES) {
      throw validationError(`Entries must hold between 1 and ${MAX_ENTRIES} entries, got ${entries.length}`);
    }
    if (entries.reduce((total, entry) => total + entrySize(entry), 0) > MAX_REQUEST_BYTES) {
      throw validationError('Total size of the entries in the request is over the limit.');
    }
    const results = entries.map((entry) => this.accept(entry));
    return { FailedEntryCount: results.filter((result) => result.ErrorCode).length, Entries: results };
  }

  /** Delivers every later event matching `pattern` to `target`. Returns an unsubscribe function. */
  subscribe(pattern: EventPattern, target: BusTarget, options: SubscribeOptions = {}): () => void {
    const subscription: Subscription = {
      pattern,
      target,
      name: options.name ?? `subscription-${this.subscriptions.length + 1}`,
      maxAttempts: options.maxAttempts ?? this.options.maxAttempts ?? 5,
      retryDelayMs: options.retryDelayMs ?? this.options.retryDelayMs ?? 200,
      turns: new Turns(options.maxConcurrency ?? Number.POSITIVE_INFINITY),
      hold: options.hold,
    };
    this.subscriptions.push(subscription);
    return () => {
      const at = this.subscriptions.indexOf(subscription);
      if (at !== -1) this.subscriptions.splice(at, 1);
    };
  }

  /** Resolves once no delivery (first try, retry or duplicate) is in flight any more. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private accept(entry: PutEventsEntry): PutEventsResultEntry {
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required.' };
    }
    const detail = parseDetail(entry.Detail);
    if (detail === undefined) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    if (this.options.failEntry?.(entry)) {
      return { ErrorCode: 'InternalFailure', ErrorMessage: 'Injected failure of the local bus.' };
    }
    const envelope: EventEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: '000000000000',
      time: toEventTime(entry.Time ?? new Date()),
      region: 'local',
      resources: entry.Resources ?? [],
      detail,
    };
    this.events.push(envelope);
    if (this.options.historyLimit !== undefined && this.events.length > this.options.historyLimit)
      this.events.shift();
    this.emit('event', envelope);
    for (const subscription of this.subscriptions) {
      if (!matches(subscription.pattern, envelope)) continue;
      this.deliveryCount += 1;
      const copies =
        this.options.duplicateEvery && this.deliveryCount % this.options.duplicateEvery === 0 ? 2 : 1;
      for (let copy = 0; copy < copies; copy += 1) this.track(this.deliver(subscription, envelope));
    }
    return { EventId: envelope.id };
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async deliver(subscription: Subscription, envelope: EventEnvelope): Promise<void> {
    // A later macrotask: the publisher's putEvents has resolved before any target runs.
    await new Promise((resolve) => setImmediate(resolve));
    for (let attempt = 1; ; attempt += 1) {
      await subscription.hold?.();
      try {
        // Targets get their own copy, as they would get their own JSON over the wire.
        await subscription.turns.run(() => subscription.target(structuredClone(envelope)));
        this.emit('delivered', { envelope, subscription: subscription.name, attempt });
        return;
      } catch (error) {
        const attributes = {
          id: envelope.id,
          detailType: envelope['detail-type'],
          subscription: subscription.name,
          attempt,
          error: error instanceof Error ? error.message : String(error),
        };
        if (attempt >= subscription.maxAttempts) {
          const letter: DeadLetter = { envelope, subscription: subscription.name, attempts: attempt, error };
          this.deadLetters.push(letter);
          this.logger.error('event delivery failed, dead-lettered', attributes);
          this.emit('failed', letter);
          return;
        }
        this.logger.warn('event delivery failed, retrying', attributes);
        await sleep(subscription.retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }
}

function matches(pattern: EventPattern, envelope: EventEnvelope): boolean {
  const sources = pattern.source;
  const detailTypes = pattern['detail-type'];
  return (
    (!sources || sources.includes(envelope.source)) &&
    (!detailTypes || detailTypes.includes(envelope['detail-type']))
  );
}

// EventBridge only accepts a JSON object as Detail.
function parseDetail(detail: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(detail);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The entry size as EventBridge computes it (UTF-8 bytes of the fields, 14 for a Time). */
export function entrySize(entry: PutEventsEntry): number {
  let size = entry.Time ? 14 : 0;
  for (const field of [entry.Source, entry.DetailType, entry.Detail, ...(entry.Resources ?? [])]) {
    if (field) size += Buffer.byteLength(field);
  }
  return size;
}

function toEventTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function validationError(message: string): Error {
  const error = new Error(message);
  error.name = 'ValidationException';
  return error;
}
