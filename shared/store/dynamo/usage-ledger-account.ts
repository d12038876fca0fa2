/**
 * The account effect of a usage record: its last-used time and its Codex usage snapshot. Both
 * are "newer wins" writes conditioned on the stored time, idempotent without markers, so a
 * redelivery or an older event arriving late never moves either backwards.
 *
 * @example
 * ```ts
 * const effect = accountEffect(target, Date.parse(record.endedAt), snapshot);
 * await effect.apply(guard); // 'applied' | 'stale' | 'missing'
 * ```
 */

import type { CodexUsageSnapshot } from '../../domain/types.ts';
import type { EffectResult } from '../../recorder/usage-record.ts';
import type { LedgerEffect, WriteGuard } from '../usage-ledger.ts';
import { GetCommand, UpdateCommand } from './commands.ts';
import { conditionHeld } from './condition-failure.ts';
import type { EffectTarget } from './usage-ledger-effects.ts';

/**
 * Sets `attribute` to `value` unless the item already holds something as new: compared on the
 * attribute itself, or on its `nested` field (the snapshot's `updatedAt`).
 */
async function setIfNewer(
  target: EffectTarget,
  write: { attribute: string; value: unknown; at: number; nested?: string },
): Promise<'applied' | 'stale' | 'missing'> {
  const path = write.nested ? '#attr.#nested' : '#attr';
  const applied = await conditionHeld(() =>
    target.client.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: target.key,
        UpdateExpression: 'SET #attr = :value',
        ConditionExpression: `attribute_exists(pk) AND (attribute_not_exists(${path}) OR ${path} < :at)`,
        ExpressionAttributeNames: {
          '#attr': write.attribute,
          ...(write.nested ? { '#nested': write.nested } : {}),
        },
        ExpressionAttributeValues: { ':value': write.value, ':at': write.at },
      }),
    ),
  );
  if (applied) return 'applied';
  const { Item: item } = await target.client.send(
    new GetCommand({ TableName: target.tableName, Key: target.key, ProjectionExpression: 'pk' }),
  );
  return item ? 'stale' : 'missing';
}

/**
 * How far apart two last-used times of an account must be for this process to write the later
 * one. The gateway reads accounts through a cache of a few seconds (`QG_CONFIG_CACHE_SECONDS`,
 * 5 by default) and uses the time only to prefer the least recently used of equally loaded
 * accounts, so a finer time is never seen; writing it once per interval per recorder instance
 * instead of once per request is what keeps a request within 10 recorder writes.
 */
export const LAST_USED_RESOLUTION_MS = 10_000;

/** The last-used time this process last wrote for each account (bounded: the pool's accounts). */
export class LastUsedWrites {
  readonly #written = new Map<string, number>();

  /** True when a time at least {@link LAST_USED_RESOLUTION_MS} older than `usedAt` is all this process wrote. */
  due(accountId: string, usedAt: number): boolean {
    const written = this.#written.get(accountId);
    return written === undefined || usedAt - written >= LAST_USED_RESOLUTION_MS;
  }

  wrote(accountId: string, usedAt: number): void {
    this.#written.set(accountId, Math.max(usedAt, this.#written.get(accountId) ?? usedAt));
  }
}

/**
 * The account's last-used time and Codex usage snapshot: "newer wins" writes, idempotent without
 * markers, so a redelivery or an older event arriving late never moves either backwards. The
 * time is written only when it moves by {@link LAST_USED_RESOLUTION_MS} as far as `written`
 * knows (`stale` otherwise); a Codex snapshot is always written.
 */
export function accountEffect(
  target: EffectTarget,
  usedAt: number,
  codexUsage: CodexUsageSnapshot | undefined,
  written: LastUsedWrites = new LastUsedWrites(),
): LedgerEffect {
  const accountId = String(target.key.pk);
  return {
    name: 'account',
    async apply(guard: WriteGuard): Promise<EffectResult> {
      let lastUsed: 'applied' | 'stale' | 'missing' = 'stale';
      if (written.due(accountId, usedAt)) {
        guard();
        lastUsed = await setIfNewer(target, { attribute: 'lastUsedAt', value: usedAt, at: usedAt });
        if (lastUsed !== 'missing') written.wrote(accountId, usedAt);
      }
      if (lastUsed === 'missing' || !codexUsage) return lastUsed;
      guard();
      const snapshot = await setIfNewer(target, {
        attribute: 'codexUsage',
        value: codexUsage,
        at: codexUsage.updatedAt,
        nested: 'updatedAt',
      });
      return lastUsed === 'applied' || snapshot === 'applied' ? 'applied' : snapshot;
    },
    // No marker to clear.
    clearMarker: async () => ({}),
  };
}
