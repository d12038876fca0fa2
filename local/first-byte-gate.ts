/**
 * Holds the recorder's deliveries on the local stack while a gateway invocation has not sent its
 * first byte yet. Locally the recorder's writes (about ten per request) and the gateway's
 * admission (its slots, the binding's read, the `started` record) share one single-threaded
 * dynalite: at c=1 the previous request's writes queued ahead of the next request's admission
 * and added to the time before its first byte. On AWS, EventBridge delivers to the recorder
 * asynchronously anyway, so recording a few milliseconds later changes nothing a user sees.
 *
 * A hold is bounded by `settleMs` + `maxHoldMs`: under steady traffic some invocation is always before its
 * first byte, and deliveries must be delayed then, never starved. Nothing is dropped: a held
 * delivery is an ordinary in-flight delivery of the bus (its `drain` waits for it).
 *
 * @example
 * ```ts
 * const gate = new FirstByteGate();
 * const sent = gate.enter(); // an invocation arrived
 * sent(); // its first byte went out (or it ended without one)
 * await gate.quiet(); // what the bus awaits before each recorder delivery
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Long enough to cover an admission under load, short next to the recorder's sweep periods. */
export const FIRST_BYTE_MAX_HOLD_MS = 50;
/**
 * What a delivery waits before it looks: the event is published as its request ends, and a
 * client that sends its next request at once (a script's next turn, the bench at c=1) has it
 * arrive within this; without the wait the delivery would start just ahead of that admission.
 */
export const FIRST_BYTE_SETTLE_MS = 5;

export class FirstByteGate {
  #waiting = 0;
  readonly #quiet = new Set<() => void>();

  constructor(
    private readonly maxHoldMs = FIRST_BYTE_MAX_HOLD_MS,
    private readonly settleMs = FIRST_BYTE_SETTLE_MS,
  ) {}

  /** An invocation before its first byte; call the answer (once is enough) when that byte went out. */
  enter(): () => void {
    this.#waiting += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#waiting -= 1;
      if (this.#waiting > 0) return;
      for (const release of [...this.#quiet]) release();
    };
  }

  /**
   * Resolves `settleMs` from now when no invocation waits for its first byte then; else when none
   * does any more, or `maxHoldMs` later.
   */
  async quiet(): Promise<void> {
    if (this.settleMs > 0) await sleep(this.settleMs);
    if (this.#waiting === 0) return;
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.#quiet.delete(release);
        resolve();
      };
      const timer = setTimeout(release, this.maxHoldMs);
      this.#quiet.add(release);
    });
  }
}
