/**
 * The writes behind an alert claim (see `shared/alerts/alert-watch.ts`): each kind of crossing
 * as one conditional UpdateItem on the subject's Config item that holds only while the crossing
 * is unalerted. The same write names the alert record that took it (`ref`, the record's sort
 * key), so a run that finds the record still pending can tell its own claim from another's.
 *
 * @example
 * ```ts
 * const write = claimWrite({ kind: 'low_balance', userId, thresholdNano, at }, ref);
 * // UpdateItem(write.key, write.update, write.condition, write.names, write.values)
 * ```
 */

import { type ItemKey, keys } from '../../tables/keys.ts';
import type { AlertClaim } from '../alert-store.ts';

/** One conditional UpdateItem on the Config table. */
export interface ClaimWrite {
  key: ItemKey;
  update: string;
  condition: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** The attribute of the subject's item that names the record holding each kind of claim. */
export const CLAIM_REF_ATTRIBUTE = {
  low_balance: 'lowBalanceAlertRef',
  key_quota: 'quotaAlertRef',
  key_budget: 'budgetAlertRef',
} as const satisfies Record<AlertClaim['kind'], string>;

/** The item a claim is written on: the user's for a low balance, else the key's. */
export function claimSubject(claim: AlertClaim): ItemKey {
  return claim.kind === 'low_balance' ? keys.user(claim.userId) : keys.apiKey(claim.keyHash);
}

/** What each kind of crossing sets and requires of its subject's item. */
function crossingWrite(claim: AlertClaim): Omit<ClaimWrite, 'key'> {
  if (claim.kind === 'low_balance') {
    return {
      update: '#alerted = :at',
      // The balance is re-checked here: a top-up between the read and this write wins.
      condition: 'attribute_exists(pk) AND attribute_not_exists(#alerted) AND #balance < :threshold',
      names: { '#alerted': 'lowBalanceAlertedAt', '#balance': 'balanceNano' },
      values: { ':at': claim.at, ':threshold': claim.thresholdNano },
    };
  }
  if (claim.kind === 'key_quota') {
    return {
      update: '#level = :percent',
      condition:
        'attribute_exists(pk) AND (attribute_not_exists(#level) OR #level < :percent) AND #used >= :needed',
      names: { '#level': 'quotaAlertPercent', '#used': 'usedNano' },
      values: { ':percent': claim.percent, ':needed': claim.neededNano },
    };
  }
  return {
    update: '#period = :start, #level = :percent',
    condition:
      'attribute_exists(pk) AND (attribute_not_exists(#period) OR #period <> :start OR #level < :percent)',
    names: { '#period': 'budgetAlertPeriod', '#level': 'budgetAlertPercent' },
    values: { ':start': claim.periodStart, ':percent': claim.percent },
  };
}

/**
 * The claim of a crossing: it holds only while the crossing is unalerted, and it names the record
 * that took it in the same write.
 */
export function claimWrite(claim: AlertClaim, ref: string): ClaimWrite {
  const crossing = crossingWrite(claim);
  return {
    key: claimSubject(claim),
    update: `SET ${crossing.update}, #ref = :ref`,
    condition: crossing.condition,
    names: { ...crossing.names, '#ref': CLAIM_REF_ATTRIBUTE[claim.kind] },
    values: { ...crossing.values, ':ref': ref },
  };
}
