/**
 * A gate of turns: at most `limit` calls of `run` at once, the others waiting first come, first
 * served. The local bus gives each subscription one, as a Lambda target's concurrency would bound
 * its deliveries.
 *
 * @example
 * ```ts
 * const turns = new Turns(8);
 * await turns.run(() => deliver(event)); // waits while eight deliveries run
 * ```
 */
export class Turns {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run(attempt: () => Promise<void>): Promise<void> {
    // A finishing call hands its turn straight to the first waiter, so `running` never overshoots.
    if (this.running < this.limit) this.running += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      await attempt();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
