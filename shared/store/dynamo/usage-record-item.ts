/**
 * A usage record as a Usage table item and back: the item adds its keys, its listings, its lease
 * and (while pending) the sweep's context, none of which is part of the record finance reads.
 *
 * @example
 * ```ts
 * const { record, claim } = storedUsageRecordOf(item);
 * ```
 */
import type { UsageRecord } from '../../recorder/usage-record.ts';
import { PENDING_INDEX_KEYS } from '../../tables/keys.ts';
import type { PendingContext, StoredUsageRecord } from '../usage-ledger.ts';

/** Not part of the record: its keys, its claim and (while pending) the sweep's context. */
export const STORAGE_ATTRIBUTES = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  ...PENDING_INDEX_KEYS,
  'leaseOwner',
  'leaseUntil',
  'pendingContext',
  // The optional TTL (docs/deploy.md): storage, not a record field.
  'expiresAt',
] as const;

/** The record as stored, without keys and claim. */
export function usageRecordOf(item: Record<string, unknown>): UsageRecord {
  const record: Record<string, unknown> = { ...item };
  for (const attribute of STORAGE_ATTRIBUTES) delete record[attribute];
  return record as unknown as UsageRecord;
}

/** The record with its claim and pending context, as a stored item holds them. */
export function storedUsageRecordOf(item: Record<string, unknown>): StoredUsageRecord {
  const owner = item.leaseOwner as string | undefined;
  const until = item.leaseUntil as number | undefined;
  const context = item.pendingContext as PendingContext | undefined;
  return {
    record: usageRecordOf(item),
    claim: owner && until !== undefined ? { owner, until } : undefined,
    ...(context ? { pendingContext: context } : {}),
  };
}
