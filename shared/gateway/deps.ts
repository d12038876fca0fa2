/**
 * Everything the gateway core needs from the outside, passed in once. The Lambda handler and the
 * local server build it from the environment (`createGatewayDeps`); tests build it around
 * dynalite and the mock upstream.
 */
import type {
  AcquireUserSlot,
  LookupStickySession,
  SelectAccount,
  TryUserSlot,
} from '../concurrency/contracts.ts';
import type { Account, ListedAccount } from '../domain/types.ts';
import type { UsageEventPublisher } from '../events/usage-event.ts';
import type { GatewaySettings } from '../settings.ts';
import type { AccountHealthWriter, BillingStateReader, ConfigDirectory } from '../store/config-directory.ts';
import type { RequestRates } from '../store/request-rates.ts';
import type { RequestStarts } from '../store/request-starts.ts';
import type { UsageAggregateReader } from '../store/usage-reader.ts';
import type { Caller } from './authenticate.ts';
import type { GatewayLogger } from './request-logger.ts';
import type { RequestObserver } from './request-observer.ts';

export interface GatewayDeps {
  settings: GatewaySettings;
  /** Config reads, cached for `settings.configCacheSeconds`. */
  directory: ConfigDirectory;
  /** Strongly consistent, uncached reads of what limits a request, taken with the user slot. */
  billingState: BillingStateReader;
  /** The `started` usage record of each request, so one the gateway never finishes is not lost. */
  requestStarts: RequestStarts;
  accountHealth: AccountHealthWriter;
  /** Per-key request counters of the current minute, for keys with `requestsPerMinute`. */
  requestRates: RequestRates;
  acquireUserSlot: AcquireUserSlot;
  tryUserSlot: TryUserSlot;
  /** Also binds the session to the account it chose, once that account's slot is won. */
  selectAccount: SelectAccount;
  /**
   * The chosen account with its credentials, which the listing never holds: read by key when
   * this instance holds none at the listing's `credentialsVersion`; `undefined` when the account
   * was deleted since it was listed. Asks for one account share one read.
   */
  withCredentials: (account: ListedAccount) => Promise<Account | undefined>;
  /**
   * The first request of this instance for a group: once the account listing is in, asks for the
   * credentials of the group's accounts, so that they join the round trip of the caller's
   * records; settles when they are asked. `undefined` (nothing to wait for, nothing read) for a
   * group this instance already read ahead.
   */
  readCredentialsAhead: (groupId: string) => Promise<void> | undefined;
  lookupSticky: LookupStickySession;
  /** sha256 of the client's session identity (headers or `prompt_cache_key`), if it sent one. */
  sessionHashOf: (
    headers: Record<string, string | undefined>,
    body: Record<string, unknown>,
  ) => string | undefined;
  /** Throws a GatewayError when the caller may not start a request for this model now. */
  checkEligibility: (caller: Caller, model: string, now: number) => void;
  publisher: UsageEventPublisher;
  /** An OAuth account with a token valid for the request; throws TokenRefreshError otherwise. */
  ensureFreshToken: (account: Account) => Promise<Account>;
  /** An OAuth account with a new token after the upstream refused its token (401); throws TokenRefreshError. */
  forceTokenRefresh: (account: Account) => Promise<Account>;
  /** Metrics for every request, an ops record for every failure of an authenticated caller. */
  observer: RequestObserver;
  /** The caller's own daily aggregates, for GET /v1/usage. */
  usageReader: UsageAggregateReader;
  /** Models every account without a model mapping can serve; listed by GET /v1/models. */
  modelCatalog: () => readonly string[];
  logger: GatewayLogger;
  now: () => number;
}
