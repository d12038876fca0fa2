/**
 * The writes behind an alert claim (see `shared/alerts/alert-watch.ts`): each kind of crossing
 * as one conditional UpdateItem on the subject's Config item that holds only while the crossing
 * is unalerted, and the write that undoes it when the alert could not be stored.
 *
 * @example
 * ```ts
 * const write = claimWrite({ kind: 'low_balance', userId, thresholdNano, at });
 * // UpdateItem(write.key, write.update, write.condition, write.names, write.values)
 * ```
 */

import { type ItemKey, keys } from '../../tables/keys.ts';
import type { AlertClaim } from '../alert-store.ts';
import { editOf, updateExpressionOf } from './versioned-update.ts';

/** One conditional UpdateItem on the Config table. */
export interface ClaimWrite {
  key: ItemKey;
  update: string;
  condition: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** The claim of a crossing: it holds only while the crossing is unalerted. */
export function claimWrite(claim: AlertClaim): ClaimWrite {
  if (claim.kind === 'low_balance') {
    return {
      key: keys.user(claim.userId),
      update: 'SET #alerted = :at',
      // The balance is re-checked here: a top-up between the read and this write wins.
      condition: 'attribute_exists(pk) AND attribute_not_exists(#alerted) AND #balance < :threshold',
      names: { '#alerted': 'lowBalanceAlertedAt', '#balance': 'balanceNano' },
      values: { ':at': claim.at, ':threshold': claim.thresholdNano },
    };
  }
  if (claim.kind === 'key_quota') {
    return {
      key: keys.apiKey(claim.keyHash),
      update: 'SET #level = :percent',
      condition:
        'attribute_exists(pk) AND (attribute_not_exists(#level) OR #level < :percent) AND #used >= :needed',
      names: { '#level': 'quotaAlertPercent', '#used': 'usedNano' },
      values: { ':percent': claim.percent, ':needed': claim.neededNano },
    };
  }
  return {
    key: keys.apiKey(claim.keyHash),
    update: 'SET #period = :start, #level = :percent',
    condition:
      'attribute_exists(pk) AND (attribute_not_exists(#period) OR #period <> :start OR #level < :percent)',
    names: { '#period': 'budgetAlertPeriod', '#level': 'budgetAlertPercent' },
    values: { ':start': claim.periodStart, ':percent': claim.percent },
  };
}

/**
 * Puts back what the claim replaced (a level the key had before is set again, one it did not
 * have is removed), if the item still holds this claim.
 */
export function releaseWrite(claim: AlertClaim): ClaimWrite {
  if (claim.kind === 'low_balance') {
    return {
      key: keys.user(claim.userId),
      update: 'REMOVE #alerted',
      condition: '#alerted = :at',
      names: { '#alerted': 'lowBalanceAlertedAt' },
      values: { ':at': claim.at },
    };
  }
  const restore =
    claim.kind === 'key_quota'
      ? editOf({ quotaAlertPercent: claim.previous })
      : editOf({
          budgetAlertPeriod: claim.previous?.periodStart,
          budgetAlertPercent: claim.previous?.percent,
        });
  const held: Pick<ClaimWrite, 'condition' | 'names' | 'values'> =
    claim.kind === 'key_quota'
      ? {
          condition: '#level = :percent',
          names: { '#level': 'quotaAlertPercent' },
          values: { ':percent': claim.percent },
        }
      : {
          condition: '#period = :start AND #level = :percent',
          names: { '#period': 'budgetAlertPeriod', '#level': 'budgetAlertPercent' },
          values: { ':start': claim.periodStart, ':percent': claim.percent },
        };
  return {
    key: keys.apiKey(claim.keyHash),
    update: updateExpressionOf(restore.sets, restore.removes),
    condition: held.condition,
    names: { ...restore.names, ...held.names },
    values: { ...restore.values, ...held.values },
  };
}
