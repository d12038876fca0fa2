/**
 * What the alert watch (`shared/alerts/alert-watch.ts`) needs from storage: the charged user and
 * key as they stand after a charge, what a key spent in a budget period, a conditional **claim**
 * on the subject's item (the one write that makes an alert happen once per crossing, however
 * many deliveries race for it), and the alert records the console lists and the scheduled run
 * republishes. The DynamoDB implementation is `shared/store/dynamo/alert-store.ts`.
 *
 * @example
 * ```ts
 * const charged = await store.readCharged({ userId, apiKeyId, apiKeyHash }, { user: true });
 * if (await store.claim(claim)) await store.put(alert);
 * ```
 */
import type { Alert } from '../alerts/alert.ts';
import type { ApiKey, RequestDefaults, User } from '../domain/types.ts';

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
  | { kind: 'key_quota'; keyHash: string; percent: number; neededNano: number; previous?: number }
  | {
      kind: 'key_budget';
      keyHash: string;
      percent: number;
      periodStart: string;
      previous?: { periodStart?: string; percent?: number };
    };

export interface AlertQuery {
  /** Epoch ms, inclusive. */
  fromMs: number;
  /** Epoch ms, exclusive. */
  toMs: number;
  /** Most alerts returned, newest first. */
  limit: number;
  /** Only alerts the bus has not accepted yet. */
  unpublished?: boolean;
}

export interface AlertStore {
  /** Strongly consistent reads of the key (and the user when asked) and the request defaults. */
  readCharged(
    subject: { userId: string; apiKeyId: string; apiKeyHash?: string | undefined },
    wanted: { user: boolean },
  ): Promise<ChargedSubjects>;
  /** Nano-USD the key was billed from `fromDay` to `toDay` (its daily aggregates). */
  keySpend(keyId: string, fromDay: string, toDay: string): Promise<number>;
  /** True when this call took the crossing (see {@link AlertClaim}). */
  claim(claim: AlertClaim): Promise<boolean>;
  /** Undoes a claim whose alert could not be stored, so the next charge tries again. */
  release(claim: AlertClaim): Promise<void>;
  /** Stores the alert (30 days); storing the same alert id twice keeps one. */
  put(alert: Alert): Promise<void>;
  markPublished(alert: Alert, publishedAt: string): Promise<void>;
  list(query: AlertQuery): Promise<Alert[]>;
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
