/**
 * The concurrency machinery wired to DynamoDB: one call gives the gateway everything it needs
 * to hold user and account slots, wait for them, and keep sessions sticky. Tests build their
 * own with short leases and waits; the gateway builds one per process.
 *
 * @example
 * ```ts
 * const concurrency = createConcurrency({
 *   client: documentClient(),
 *   requester: dynamoJsonClient(),
 *   tables: settings.tables,
 *   settings,
 *   listAccounts: () => directory.listAccounts(),
 * });
 * const userSlot = await concurrency.acquireUserSlot({ user, requestId });
 * ```
 */

import type { ListedAccount } from '../domain/types.ts';
import type { GatewaySettings } from '../settings.ts';
import type { DocumentClient } from '../store/dynamo/document-client.ts';
import type { DynamoRequester } from '../store/dynamo/json-protocol.ts';
import { DynamoSlotStore } from '../store/dynamo/slot-store.ts';
import { DynamoStickyStore } from '../store/dynamo/sticky-store.ts';
import type { TableNames } from '../tables/definitions.ts';
import { type AccountSelector, createAccountSelector } from './account-selector.ts';
import { type Clock, systemClock } from './clock.ts';
import type { AcquireUserSlot, TryUserSlot } from './contracts.ts';
import type { ErrorReporter } from './lease.ts';
import { LeasePools } from './lease-pools.ts';
import { createUserSlotAcquirer, createUserSlotTrier } from './user-slots.ts';

export type ConcurrencySettings = Pick<
  GatewaySettings,
  | 'leaseSeconds'
  | 'userWaitSeconds'
  | 'accountWaitSeconds'
  | 'accountMaxWaiting'
  | 'stickyWaitSeconds'
  | 'stickyMaxWaiting'
  | 'pingIntervalSeconds'
>;

export interface ConcurrencyOptions {
  /** Sticky sessions: their read joins the caller's Config reads in one batch (batch-get.ts). */
  client: DocumentClient;
  /** Slots and wait tickets: the gateway's JSON client (json-client.ts), most of its requests. */
  requester: DynamoRequester;
  tables: Pick<TableNames, 'state'>;
  settings: ConcurrencySettings;
  /** Every account (the gateway's cached `ConfigDirectory.listAccounts`); filtered per request here. */
  listAccounts: () => Promise<readonly ListedAccount[]>;
  clock?: Clock;
  /** [0, 1) like Math.random; picks slot indexes and breaks ties between equal accounts. */
  random?: () => number;
  /** Best-effort failures (lease renewal or release, sticky read or write); they never fail a request. */
  onError?: ErrorReporter;
}

export interface Concurrency extends AccountSelector {
  acquireUserSlot: AcquireUserSlot;
  tryUserSlot: TryUserSlot;
}

const logToStderr: ErrorReporter = (error, context) => {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(JSON.stringify({ level: 'WARN', message: `concurrency: ${context} failed`, error: message }));
};

export function createConcurrency(options: ConcurrencyOptions): Concurrency {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const report = options.onError ?? logToStderr;
  const { settings } = options;
  const pools = new LeasePools({
    store: new DynamoSlotStore(options.requester, options.tables.state),
    leaseSeconds: settings.leaseSeconds,
    clock,
    random,
    report,
  });
  const selector = createAccountSelector({
    pools,
    sticky: new DynamoStickyStore(options.client, options.tables.state),
    listAccounts: options.listAccounts,
    settings,
    clock,
    random,
    report,
  });
  return {
    ...selector,
    acquireUserSlot: createUserSlotAcquirer(pools, settings),
    tryUserSlot: createUserSlotTrier(pools),
  };
}
