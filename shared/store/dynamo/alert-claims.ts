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

/** Puts back what the claim replaced, if the item still holds this claim. */
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
  if (claim.kind === 'key_quota') {
    const back = claim.previous === undefined ? 'REMOVE #level' : 'SET #level = :previous';
    return {
      key: keys.apiKey(claim.keyHash),
      update: back,
      condition: '#level = :percent',
      names: { '#level': 'quotaAlertPercent' },
      values: {
        ':percent': claim.percent,
        ...(claim.previous === undefined ? {} : { ':previous': claim.previous }),
      },
    };
  }
  const previous = claim.previous ?? {};
  const sets: string[] = [];
  const removes: string[] = [];
  const values: Record<string, unknown> = { ':start': claim.periodStart, ':percent': claim.percent };
  if (previous.periodStart === undefined) removes.push('#period');
  else {
    sets.push('#period = :oldStart');
    values[':oldStart'] = previous.periodStart;
  }
  if (previous.percent === undefined) removes.push('#level');
  else {
    sets.push('#level = :oldPercent');
    values[':oldPercent'] = previous.percent;
  }
  return {
    key: keys.apiKey(claim.keyHash),
    update: [
      sets.length ? `SET ${sets.join(', ')}` : '',
      removes.length ? `REMOVE ${removes.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' '),
    condition: '#period = :start AND #level = :percent',
    names: { '#period': 'budgetAlertPeriod', '#level': 'budgetAlertPercent' },
    values,
  };
}
