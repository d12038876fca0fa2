/**
 * The effects of a usage record on DynamoDB, each one UpdateItem that applies its amount and
 * adds the request id to the item's `usageMarks` string set, conditioned on the set not holding
 * the id yet. A condition failure is then read back (strongly consistent) to tell "this request
 * already did it" from "the item is gone" (dynalite cannot return the item with the failure).
 *
 * Subscription windows are the one effect that depends on the item's state (a window that ran
 * out restarts): the write is also conditioned on the window starts it was planned from, and
 * replanned when another request moved a window first (optimistic concurrency).
 *
 * @example
 * ```ts
 * const effect = balanceEffect(target, record); // one of the LedgerEffects of usage-ledger.ts
 * await effect.apply(guard); // 'applied' | 'skipped' | 'missing'
 * ```
 */

import { planWindowSteps } from '../../billing/subscription-windows.ts';
import type { ApiKey, Subscription, User } from '../../domain/types.ts';
import type { AggregateCounters, EffectName, EffectResult } from '../../recorder/usage-record.ts';
import type { ItemKey } from '../../tables/keys.ts';
import type { ChargedItems, LedgerEffect, WriteGuard } from '../usage-ledger.ts';
import { GetCommand, UpdateCommand } from './commands.ts';
import { conditionHeld, whenConditionHeld } from './condition-failure.ts';
import { entityOf } from './config-items.ts';
import type { DocumentClient } from './document-client.ts';

export const MARKS = 'usageMarks';

/** Where an effect writes. */
export interface EffectTarget {
  client: DocumentClient;
  tableName: string;
  key: ItemKey;
}

/** An update that also adds the marker; `names`/`values` must not use `#marks`, `:mark`, `:markSet`. */
interface MarkedUpdate {
  set?: string[];
  add?: string[];
  names?: Record<string, string>;
  values?: Record<string, unknown>;
  /** Extra condition, ANDed with "marker absent". */
  condition?: string;
}

type Observed = 'marked' | 'missing' | 'unmarked';

async function observe(target: EffectTarget, requestId: string): Promise<Observed> {
  const { Item: item } = await target.client.send(
    new GetCommand({ TableName: target.tableName, Key: target.key, ConsistentRead: true }),
  );
  if (!item) return 'missing';
  const marks = item[MARKS] as Set<string> | undefined;
  return marks?.has(requestId) ? 'marked' : 'unmarked';
}

/** Sends the update once; 'marked' when this request had already applied it. */
async function sendMarked(
  target: EffectTarget,
  requestId: string,
  update: MarkedUpdate,
): Promise<'applied' | Observed> {
  const add = [`#marks :markSet`, ...(update.add ?? [])];
  const expression = [
    ...(update.set?.length ? [`SET ${update.set.join(', ')}`] : []),
    `ADD ${add.join(', ')}`,
  ];
  const condition = ['NOT contains(#marks, :mark)', ...(update.condition ? [update.condition] : [])];
  const applied = await conditionHeld(() =>
    target.client.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: target.key,
        UpdateExpression: expression.join(' '),
        ConditionExpression: condition.map((part) => `(${part})`).join(' AND '),
        ExpressionAttributeNames: { '#marks': MARKS, ...update.names },
        ExpressionAttributeValues: { ':markSet': new Set([requestId]), ':mark': requestId, ...update.values },
      }),
    ),
  );
  return applied ? 'applied' : observe(target, requestId);
}

/** Removes the marker; `returned` names what the item becomes in the answer, if anything. */
async function clearMark(
  target: EffectTarget,
  requestId: string,
  returned?: keyof ChargedItems,
): Promise<ChargedItems> {
  const written = await whenConditionHeld(() =>
    target.client.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: target.key,
        UpdateExpression: 'DELETE #marks :markSet',
        // Never recreate an item that was deleted meanwhile.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#marks': MARKS },
        ExpressionAttributeValues: { ':markSet': new Set([requestId]) },
        ...(returned ? { ReturnValues: 'ALL_NEW' as const } : {}),
      }),
    ),
  );
  const item = entityOf<Record<string, unknown>>(written?.Attributes);
  if (!returned || !item) return {};
  delete item[MARKS];
  return returned === 'user' ? { user: item as unknown as User } : { key: item as unknown as ApiKey };
}

/** An effect that adds `amounts` to existing attributes of an item that must exist. */
function counterEffect(
  name: EffectName,
  target: EffectTarget,
  requestId: string,
  amounts: Record<string, number>,
  returned: keyof ChargedItems,
): LedgerEffect {
  return {
    name,
    async apply(guard: WriteGuard): Promise<EffectResult> {
      const names: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      const add = Object.entries(amounts).map(([attribute, amount], index) => {
        names[`#a${index}`] = attribute;
        values[`:a${index}`] = amount;
        return `#a${index} :a${index}`;
      });
      guard();
      const outcome = await sendMarked(target, requestId, {
        add,
        names,
        values,
        condition: 'attribute_exists(pk)',
      });
      if (outcome === 'unmarked')
        throw new Error(`${name} of ${requestId}: condition failed on an unmarked item`);
      return outcome === 'missing' ? 'missing' : 'applied';
    },
    clearMarker: () => clearMark(target, requestId, returned),
  };
}

export function balanceEffect(target: EffectTarget, requestId: string, chargeNano: number): LedgerEffect {
  return counterEffect('balance', target, requestId, { balanceNano: -chargeNano }, 'user');
}

export function keyQuotaEffect(target: EffectTarget, requestId: string, billedNano: number): LedgerEffect {
  return counterEffect('keyQuota', target, requestId, { usedNano: billedNano }, 'key');
}

/**
 * A day's counters (a key's, or a model's through one account in one shard), created by its
 * first request: `identity` holds the attributes that name it (`day` among them, which readers
 * sum by), set on every write.
 */
export function aggregateEffect(
  name: EffectName,
  target: EffectTarget,
  requestId: string,
  identity: Record<string, string> & { day: string },
  counters: AggregateCounters,
): LedgerEffect {
  return {
    name,
    async apply(guard: WriteGuard): Promise<EffectResult> {
      const names: Record<string, string> = { '#kind': 'kind' };
      const values: Record<string, unknown> = { ':kind': 'aggregate' };
      const set = ['#kind = :kind'];
      Object.entries(identity).forEach(([attribute, value], index) => {
        names[`#i${index}`] = attribute;
        values[`:i${index}`] = value;
        set.push(`#i${index} = :i${index}`);
      });
      const add = Object.entries(counters).map(([counter, amount], index) => {
        names[`#c${index}`] = counter;
        values[`:c${index}`] = amount;
        return `#c${index} :c${index}`;
      });
      guard();
      const outcome = await sendMarked(target, requestId, { set, add, names, values });
      if (outcome !== 'applied' && outcome !== 'marked') {
        throw new Error(`${name} of ${requestId}: condition failed on an unmarked aggregate`);
      }
      return 'applied';
    },
    clearMarker: () => clearMark(target, requestId),
  };
}

const MAX_WINDOW_ATTEMPTS = 10;

/** Counts `amountNano` in the subscription's windows as of `atMs`, and in its lifetime total. */
export function subscriptionEffect(
  target: EffectTarget,
  requestId: string,
  amountNano: number,
  atMs: number,
): LedgerEffect {
  return {
    name: 'subscription',
    async apply(guard: WriteGuard): Promise<EffectResult> {
      for (let attempt = 0; attempt < MAX_WINDOW_ATTEMPTS; attempt += 1) {
        const { Item: item } = await target.client.send(
          new GetCommand({ TableName: target.tableName, Key: target.key, ConsistentRead: true }),
        );
        if (!item) return 'missing';
        if ((item[MARKS] as Set<string> | undefined)?.has(requestId)) return 'applied';
        const names: Record<string, string> = { '#total': 'usedNano' };
        const values: Record<string, unknown> = { ':amount': amountNano };
        const set: string[] = [];
        const condition = ['attribute_exists(pk)'];
        planWindowSteps(item as Subscription, atMs).forEach((step, index) => {
          const start = `#s${index}`;
          const used = `#u${index}`;
          names[start] = step.window.startField;
          names[used] = step.window.usedField;
          if (step.newStart === undefined) {
            values[':zero'] = 0;
            set.push(`${used} = if_not_exists(${used}, :zero) + :amount`);
          } else {
            values[`:ns${index}`] = step.newStart;
            set.push(`${start} = :ns${index}`, `${used} = :amount`);
          }
          // The plan holds only while no other request moved this window meanwhile.
          if (step.expectedStart === undefined) {
            condition.push(`attribute_not_exists(${start})`);
          } else {
            values[`:es${index}`] = step.expectedStart;
            condition.push(`${start} = :es${index}`);
          }
        });
        guard();
        const outcome = await sendMarked(target, requestId, {
          set,
          add: ['#total :amount'],
          names,
          values,
          condition: condition.join(' AND '),
        });
        if (outcome === 'applied' || outcome === 'marked') return 'applied';
        if (outcome === 'missing') return 'missing';
      }
      throw new Error(
        `subscription windows of ${requestId}: still contended after ${MAX_WINDOW_ATTEMPTS} attempts`,
      );
    },
    clearMarker: () => clearMark(target, requestId),
  };
}
