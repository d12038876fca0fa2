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
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CodexUsageSnapshot } from '../../domain/types.ts';
import type { EffectResult } from '../../recorder/usage-record.ts';
import type { LedgerEffect, WriteGuard } from '../usage-ledger.ts';
import { isConditionFailure } from './condition-failure.ts';
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
  try {
    await target.client.send(
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
    );
    return 'applied';
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const { Item: item } = await target.client.send(
      new GetCommand({ TableName: target.tableName, Key: target.key, ProjectionExpression: 'pk' }),
    );
    return item ? 'stale' : 'missing';
  }
}

/**
 * The account's last-used time and Codex usage snapshot: "newer wins" writes, idempotent without
 * markers, so a redelivery or an older event arriving late never moves either backwards.
 */
export function accountEffect(
  target: EffectTarget,
  usedAt: number,
  codexUsage: CodexUsageSnapshot | undefined,
): LedgerEffect {
  return {
    name: 'account',
    async apply(guard: WriteGuard): Promise<EffectResult> {
      guard();
      const lastUsed = await setIfNewer(target, { attribute: 'lastUsedAt', value: usedAt, at: usedAt });
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
    clearMarker: async () => {},
  };
}
