/**
 * What the alert watch (`shared/alerts/alert-watch.ts`) needs from storage: the charged user and
 * key as they stand after a charge, what a key spent in a budget period, a conditional **claim**
 * on the subject's item (the one write that makes an alert happen once per crossing, however
 * many deliveries race for it), and the alert records the console lists and the scheduled run
 * republishes. The DynamoDB implementation is `shared/store/dynamo/alert-store.ts`.
 *
 * An alert record is stored **before** its claim is tried, carrying that claim (a pending
 * record: an outbox entry), so no crash between the two can take a crossing and leave nothing
 * to deliver; the claim names the record that took it, so a later run can tell whether a pending
 * record won.
 *
 * @example
 * ```ts
 * const charged = await store.readCharged({ userId, apiKeyId, apiKeyHash }, { user: true });
 * await store.putPending(alert, claim);
 * if (await store.claim(claim, alert)) await store.confirm(alert);
 * else await store.discard(alert);
 * ```
 */
import type { Alert } from '../alerts/alert.ts';
import type { ApiKey, RequestDefaults, User } from '../domain/types.ts';
import type { ChargedItems } from './usage-ledger.ts';

/**
 * How old the request defaults (the alert thresholds users and keys inherit) may be when the
 * watch reads them: a recorder instance reads them at most once per this, so a changed default
 * applies within it.
 */
export const ALERT_DEFAULTS_TTL_MS = 30_000;

export interface ChargedSubjects {
  /** Read only when asked for (balance billing); absent when asked for but gone. */
  user?: User;
  key?: ApiKey;
  defaults: RequestDefaults;
}

/**
 * A conditional write on the subject's item that holds only while the crossing is still
 * unalerted: whoever writes it first publishes, every other delivery sees it refused.
 */
export type AlertClaim =
  | { kind: 'low_balance'; userId: string; thresholdNano: number; at: string }
  | { kind: 'key_quota'; keyHash: string; percent: number; neededNano: number }
  | { kind: 'key_budget'; keyHash: string; percent: number; periodStart: string };

export interface AlertQuery {
  /** Epoch ms, inclusive. */
  fromMs: number;
  /** Epoch ms, exclusive. */
  toMs: number;
  /** Most alerts returned, newest first. */
  limit: number;
}

/** An alert the bus has not accepted yet, with its claim while that is not known to be won. */
export interface UnpublishedAlert {
  alert: Alert;
  pendingClaim?: AlertClaim;
}

export interface AlertStore {
  /**
   * The key (and the user when asked) as they stand after the charge, and the request defaults
   * (up to {@link ALERT_DEFAULTS_TTL_MS} old). Items in `known` are taken as given; the others
   * are read strongly consistently.
   */
  readCharged(
    subject: { userId: string; apiKeyId: string; apiKeyHash?: string | undefined },
    wanted: { user: boolean },
    known?: ChargedItems,
  ): Promise<ChargedSubjects>;
  /** Nano-USD the key was billed from `fromDay` to `toDay` (its daily aggregates). */
  keySpend(keyId: string, fromDay: string, toDay: string): Promise<number>;
  /**
   * Stores the alert (30 days) as pending on `claim`: kept out of {@link list} until confirmed.
   * Storing the same record twice keeps one.
   */
  putPending(alert: Alert, claim: AlertClaim): Promise<void>;
  /**
   * True when this call took the crossing for `alert`'s record (see {@link AlertClaim}); the
   * subject's item then names that record.
   */
  claim(claim: AlertClaim, alert: Alert): Promise<boolean>;
  /** Whether the subject's item names `alert`'s record as the one that took `claim`. */
  heldBy(claim: AlertClaim, alert: Alert): Promise<boolean>;
  /** The record's claim is won: it becomes an alert like any other. */
  confirm(alert: Alert): Promise<void>;
  /** Deletes a record still pending (its claim was lost); a confirmed record is left alone. */
  discard(alert: Alert): Promise<void>;
  markPublished(alert: Alert, publishedAt: string): Promise<void>;
  /** Confirmed alerts, newest first. */
  list(query: AlertQuery): Promise<Alert[]>;
  /** Records the bus has not accepted, pending ones included, newest first. */
  listUnpublished(query: AlertQuery): Promise<UnpublishedAlert[]>;
}

/** What the admin API needs: the recent alerts, and the defaults every user and key alert by. */
export interface AlertAdminStore {
  list(query: AlertQuery): Promise<Alert[]>;
  readDefaults(): Promise<AlertDefaults>;
  /** Sets the given defaults; a field given as `undefined` is removed. */
  writeDefaults(changes: Partial<AlertDefaults>): Promise<AlertDefaults>;
}

/** The alert fields of the request defaults item. */
export type AlertDefaults = Pick<RequestDefaults, 'lowBalanceAlertNano' | 'keyAlertPercent'>;

/** Puts alerts on the bus; throws when the bus did not accept one. */
export interface AlertPublisher {
  publish(alerts: readonly Alert[]): Promise<void>;
}
