/**
 * A lease this process holds (a slot or a wait ticket): renewed every third of the lease period
 * until released, so a live request never loses it and a killed process's lease lapses within one
 * period. The renewal timer is unref'd: a held lease never keeps a process alive on its own.
 *
 * @example
 * ```ts
 * const lease = new HeldLease(deps, pool, 2, requestId); // after the store's take() succeeded
 * try { await serve(); } finally { await lease.release(); }
 * ```
 */
import type { LeasePool, SlotStore } from '../store/slots.ts';
import { type Clock, epochSeconds } from './clock.ts';
import type { HeldSlot } from './contracts.ts';

/** Where best-effort failures go (renewal, release, sticky writes): they never fail a request. */
export type ErrorReporter = (error: unknown, context: string) => void;

export interface LeaseDeps {
  store: SlotStore;
  leaseSeconds: number;
  clock: Clock;
  report: ErrorReporter;
}

/**
 * The last whole epoch second (inclusive) a lease taken or renewed at `nowMs` is valid: it counts
 * as free from `(expiresAt + 1) * 1000`, which is at most `leaseSeconds` and more than
 * `leaseSeconds - 1` after `nowMs`. Renewal every third of the period keeps it held, so leases
 * shorter than 2 s leave too little margin.
 */
export function leaseExpiry(nowMs: number, leaseSeconds: number): number {
  return epochSeconds(nowMs + leaseSeconds * 1000) - 1;
}

export class HeldLease implements HeldSlot {
  readonly pool: LeasePool;
  readonly index: number;
  readonly holder: string;
  readonly #deps: LeaseDeps;
  readonly #pending: Promise<unknown>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #renewing = false;
  #released: Promise<void> | undefined;

  constructor(deps: LeaseDeps, pool: LeasePool, index: number, holder: string) {
    this.#deps = deps;
    this.pool = pool;
    this.index = index;
    this.holder = holder;
    this.#timer = setInterval(() => void this.#renew(), (deps.leaseSeconds * 1000) / 3);
    this.#timer.unref();
  }

  /** Makes `release` also await `work`, a write started on this lease's behalf; it must not reject. */
  keepUntilRelease(work: Promise<unknown>): void {
    this.#pending.push(work);
  }

  release(): Promise<void> {
    this.#released ??= this.#release();
    return this.#released;
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #renew(): Promise<void> {
    if (this.#renewing || this.#released) return;
    this.#renewing = true;
    const { store, clock, leaseSeconds, report } = this.#deps;
    try {
      const kept = await store.renew(
        this.pool,
        this.index,
        this.holder,
        leaseExpiry(clock.now(), leaseSeconds),
      );
      if (!kept && !this.#released) {
        this.#stop();
        const { kind, scope, id } = this.pool;
        report(
          new Error(`${kind} lease ${scope}/${id}#${this.index} was lost before release`),
          'lease renewal',
        );
      }
    } catch (error) {
      report(error, 'lease renewal');
    } finally {
      this.#renewing = false;
    }
  }

  async #release(): Promise<void> {
    this.#stop();
    try {
      await this.#deps.store.release(this.pool, this.index, this.holder);
    } catch (error) {
      // The lease lapses on its own within one period; the request itself has been served.
      this.#deps.report(error, 'lease release');
    }
    await Promise.allSettled(this.#pending);
  }
}

/** The slot of a user whose concurrency is unlimited: nothing to hold, nothing to release. */
export const UNLIMITED_SLOT: HeldSlot = { release: async () => {} };
