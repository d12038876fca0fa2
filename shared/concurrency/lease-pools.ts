/**
 * Taking and waiting for numbered leases (see `shared/store/slots.ts`): the one algorithm behind user slots,
 * account slots and both wait queues.
 *
 * - Fast path: one conditional Put on a random index, no read — the uncontended case costs one
 *   request.
 * - Contended: a consistent Query shows which indexes are free or expired; Puts on those, in random
 *   order, until one sticks or the Query shows none free.
 * - Full: a wait ticket (a lease in the `WAIT#` partition, index < maxWaiting, so the bound is
 *   exact and a crashed waiter's ticket lapses like a slot), then polling with backoff
 *   (backoff.ts) until a slot is won, the wait times out or the signal aborts. The ticket is
 *   released in every outcome.
 *
 * @example
 * ```ts
 * const pools = new LeasePools({ store, leaseSeconds: 90, clock: systemClock, random: Math.random, report });
 * const slot = (await pools.acquire(pool, 3, requestId, { blind: true })) ?? (await pools.wait({ … }));
 * ```
 */
import type { LeasePool, LiveLease, SlotStore } from '../store/slots.ts';
import { pollDelayMs } from './backoff.ts';
import { type Clock, epochSeconds } from './clock.ts';
import type { WaitHooks } from './contracts.ts';
import { type ErrorReporter, HeldLease, type LeaseDeps, leaseExpiry } from './lease.ts';

export interface LeasePoolsDeps extends LeaseDeps {
  store: SlotStore;
  clock: Clock;
  random: () => number;
  report: ErrorReporter;
}

export interface AcquireOptions {
  /** Try one random index before reading the pool: the uncontended fast path. */
  blind?: boolean;
  /** The pool's live leases as just read (a load probe): its free indexes are tried first. */
  known?: readonly LiveLease[];
  /** Reads of the pool allowed (beyond `known`); the default keeps retrying while Puts lose races. */
  reads?: number;
  signal?: AbortSignal;
}

export interface WaitRequest extends WaitHooks {
  pool: LeasePool;
  limit: number;
  holder: string;
  maxWaiting: number;
  waitSeconds: number;
  pingIntervalSeconds: number;
  queueFull: () => Error;
  timedOut: () => Error;
}

/**
 * A Query that shows a free index and Puts that all lose it to others means the pool is churning;
 * after this many reads the caller treats it as full (a wait, or another account) rather than spin.
 */
const DEFAULT_READS = 8;

/** Indexes below `limit` that hold no live lease, shuffled; none when `limit` leases are live. */
export function freeIndexes(live: readonly LiveLease[], limit: number, random: () => number): number[] {
  // Leases above a lowered limit still count as in flight.
  if (live.length >= limit) return [];
  const taken = new Set(live.map((lease) => lease.index));
  const free: number[] = [];
  for (let index = 0; index < limit; index++) if (!taken.has(index)) free.push(index);
  for (let i = free.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [free[i], free[j]] = [free[j] as number, free[i] as number];
  }
  return free;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class LeasePools {
  readonly #deps: LeasePoolsDeps;

  constructor(deps: LeasePoolsDeps) {
    this.#deps = deps;
  }

  live(pool: LeasePool): Promise<LiveLease[]> {
    return this.#deps.store.live(pool, epochSeconds(this.#deps.clock.now()));
  }

  /** Takes a free lease of the pool now, or resolves undefined when the pool is full. */
  async acquire(pool: LeasePool, limit: number, holder: string, options: AcquireOptions = {}) {
    const { blind = false, reads = DEFAULT_READS, signal } = options;
    if (blind) {
      const lease = await this.#take(pool, Math.floor(this.#deps.random() * limit), holder, signal);
      if (lease) return lease;
    }
    let live = options.known;
    let readsDone = 0;
    for (;;) {
      if (!live) {
        if (readsDone++ >= reads) return undefined;
        live = await this.live(pool);
        signal?.throwIfAborted();
      }
      const free = freeIndexes(live, limit, this.#deps.random);
      if (free.length === 0) return undefined;
      for (const index of free) {
        const lease = await this.#take(pool, index, holder, signal);
        if (lease) return lease;
      }
      live = undefined;
    }
  }

  /**
   * Queues for a slot of a full pool: throws `queueFull()` when no ticket is free, `timedOut()`
   * after `waitSeconds`, `signal.reason` on abort; never leaves the ticket behind.
   */
  async wait(request: WaitRequest): Promise<HeldLease> {
    const { signal, onWaiting, holder } = request;
    signal?.throwIfAborted();
    const ticket = await this.acquire({ ...request.pool, kind: 'wait' }, request.maxWaiting, holder, {
      signal,
    });
    if (!ticket) throw request.queueFull();
    let pinger: NodeJS.Timeout | undefined;
    try {
      if (onWaiting && request.pingIntervalSeconds > 0) {
        await onWaiting();
        pinger = setInterval(() => this.#ping(onWaiting), request.pingIntervalSeconds * 1000);
        pinger.unref();
      }
      const deadline = this.#deps.clock.now() + request.waitSeconds * 1000;
      for (let attempt = 0; ; attempt++) {
        const remaining = deadline - this.#deps.clock.now();
        if (remaining <= 0) throw request.timedOut();
        await sleep(Math.min(pollDelayMs(attempt, this.#deps.random), remaining), signal);
        const slot = await this.acquire(request.pool, request.limit, holder, { reads: 1, signal });
        if (slot) return slot;
      }
    } finally {
      clearInterval(pinger);
      await ticket.release();
    }
  }

  #ping(onWaiting: () => void | Promise<void>): void {
    Promise.resolve()
      .then(onWaiting)
      .catch((error: unknown) => this.#deps.report(error, 'wait ping'));
  }

  async #take(pool: LeasePool, index: number, holder: string, signal: AbortSignal | undefined) {
    const now = this.#deps.clock.now();
    const expiresAt = leaseExpiry(now, this.#deps.leaseSeconds);
    if (!(await this.#deps.store.take(pool, index, holder, expiresAt, epochSeconds(now)))) return undefined;
    const lease = new HeldLease(this.#deps, pool, index, holder);
    if (signal?.aborted) {
      await lease.release();
      throw signal.reason;
    }
    return lease;
  }
}
