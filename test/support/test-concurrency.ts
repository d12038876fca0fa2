/**
 * The gateway's concurrency layer (slots, wait queues, sticky sessions, account selection) on a
 * dynalite suite's tables, with the settings the slot and scheduler tests share, so each test
 * states only the setting it is about.
 *
 * @example
 * ```ts
 * const dynamo = dynaliteForSuite('slots');
 * const concurrency = concurrencyOn(dynamo, { listAccounts: async () => accounts, settings: { accountWaitSeconds: 5 } });
 * ```
 */
import {
  type Concurrency,
  type ConcurrencyOptions,
  type ConcurrencySettings,
  createConcurrency,
} from '#shared/concurrency/create-concurrency.ts';
import type { DynaliteSuite } from './dynalite-suite.ts';

/**
 * A lease far longer than any test, 30 s waits with room for 20 waiting, no wait for a sticky
 * account and no pings: a test sees only the contention it arranges.
 */
export const TEST_CONCURRENCY_SETTINGS: ConcurrencySettings = {
  leaseSeconds: 90,
  userWaitSeconds: 30,
  accountWaitSeconds: 30,
  accountMaxWaiting: 20,
  stickyWaitSeconds: 0,
  stickyMaxWaiting: 3,
  pingIntervalSeconds: 0,
};

export type TestConcurrencyOptions = Omit<
  ConcurrencyOptions,
  'client' | 'requester' | 'tables' | 'settings'
> & {
  /** Overrides of {@link TEST_CONCURRENCY_SETTINGS}. */
  settings?: Partial<ConcurrencySettings>;
};

export function concurrencyOn(
  dynamo: Pick<DynaliteSuite, 'client' | 'requester' | 'tables'>,
  options: TestConcurrencyOptions,
): Concurrency {
  return createConcurrency({
    ...options,
    client: dynamo.client,
    requester: dynamo.requester,
    tables: dynamo.tables,
    settings: { ...TEST_CONCURRENCY_SETTINGS, ...options.settings },
  });
}
