/**
 * A world (servers, tables, clients) that lives as long as the enclosing suite: started in its
 * `before` hook, closed in its `after` hook. The object returned stands for the world once
 * started, so a suite declares it in one line; using it before the hook ran (at a file's top
 * level, say) is a mistake it reports. At a file's top level node:test starts the `before` hooks
 * together, so another top-level `before` must not use the world; `after` hooks run in the order
 * they were declared, so one that must run while the world lives is declared before it.
 *
 * @example
 * ```ts
 * const world = worldForSuite('recorder world', () => startRecorderWorld(), (started) => started.close());
 * it('…', async () => { await world.runtime().record(event); });
 * ```
 */
import { after, before } from 'node:test';

export function worldForSuite<World extends object>(
  what: string,
  start: () => Promise<World>,
  close: (world: World) => unknown,
): World {
  let world: World | undefined;
  before(async () => {
    world = await start();
  });
  after(async () => {
    if (world) await close(world);
  });
  return new Proxy({} as World, {
    get(_target, name) {
      if (!world)
        throw new Error(`The ${what} starts in the suite's before hook: use it in tests and hooks.`);
      return Reflect.get(world, name);
    },
  });
}
