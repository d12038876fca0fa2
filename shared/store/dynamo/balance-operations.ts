/**
 * Admin changes to a user's balance on the Config table: an atomic addition bounded on the stored
 * value, and the same addition applied at most once per idempotency key.
 *
 * **Bounds.** The update is conditioned on the stored balance itself (`balance ≤ max − delta`
 * for a top-up, `balance ≥ −max − delta` for a deduction), not only on the delta, so no write can
 * take a balance past ±{@link MAX_MONEY_NANO}; a refused one changes nothing.
 *
 * **Once per key**, without transactions (dynalite has none) and the way the recorder charges:
 *
 * 1. Put `MONEYOP#<key>` as `pending` with what it does (user, amount), unless it exists. An
 *    existing one for another user or amount is a 409; an `applied` one is answered from its
 *    stored result (the same answer the first call got); a `pending` one is finished below.
 * 2. Add the amount to the balance and the key to the user's `moneyMarks` set, conditioned on
 *    the set not holding it: a retry racing the first call cannot add twice.
 * 3. Mark the operation `applied` with the user as it stood after the addition (conditioned on
 *    `pending`, so concurrent retries settle on one stored answer), then drop the marker.
 *
 * A call that dies between 2 and 3 leaves the operation pending and the marker in place; its
 * retry finds the marker, skips the addition and finishes step 3 with the user as it is then.
 *
 * @example
 * ```ts
 * const { user, replayed } = await new DynamoBalanceOperations(client, table).addOnce('usr_1', 5e9, 'topup-42');
 * ```
 */

import { AdminError } from '../../admin/admin-error.ts';
import { formatNanoAsUsd, MAX_MONEY_NANO } from '../../admin/money.ts';
import type { User } from '../../domain/types.ts';
import { keys } from '../../tables/keys.ts';
import type { BalanceChange, Stored } from '../config-admin.ts';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from './commands.ts';
import { conditionHeld, whenConditionHeld } from './condition-failure.ts';
import { entityOf } from './config-items.ts';
import { DynamoTableStore } from './table-store.ts';

export const MONEY_MARKS = 'moneyMarks';

interface MoneyOperation {
  idempotencyKey: string;
  operation: 'add-balance';
  userId: string;
  deltaNano: number;
  state: 'pending' | 'applied';
  requestedAt: string;
  appliedAt?: string;
  result?: Stored<User>;
}

/** The stored-value bound of adding `deltaNano`, as a condition over `#balance`. */
function boundCondition(deltaNano: number): { expression: string; limit: number } {
  return deltaNano > 0
    ? {
        expression: '(attribute_not_exists(#balance) OR #balance <= :limit)',
        limit: MAX_MONEY_NANO - deltaNano,
      }
    : {
        expression: '(attribute_not_exists(#balance) OR #balance >= :limit)',
        limit: -MAX_MONEY_NANO - deltaNano,
      };
}

export class DynamoBalanceOperations extends DynamoTableStore {
  /** Adds `deltaNano` (negative deducts) to the balance, within the bounds; every call applies. */
  async add(userId: string, deltaNano: number): Promise<Stored<User>> {
    const user = await this.#addToUser(userId, deltaNano, undefined);
    if (!user) throw new Error('unreachable: an unmarked addition cannot be a duplicate');
    return user;
  }

  /** Adds `deltaNano` once for `idempotencyKey`: every retry gets the first call's answer. */
  async addOnce(userId: string, deltaNano: number, idempotencyKey: string): Promise<BalanceChange> {
    const started = await this.#begin({
      idempotencyKey,
      operation: 'add-balance',
      userId,
      deltaNano,
      state: 'pending',
      requestedAt: new Date().toISOString(),
    });
    if (started.state === 'applied' && started.result) return { user: started.result, replayed: true };
    let after: Stored<User> | undefined;
    try {
      after = await this.#addToUser(userId, deltaNano, idempotencyKey);
    } catch (error) {
      // Refused (bounds, no such user): nothing was added, so the key is free to be used again.
      if (error instanceof AdminError) await this.#forget(idempotencyKey);
      throw error;
    }
    const result = await this.#finish(idempotencyKey, after ?? (await this.#currentUser(userId)));
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.user(userId),
        UpdateExpression: 'DELETE #marks :mark',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#marks': MONEY_MARKS },
        ExpressionAttributeValues: { ':mark': new Set([idempotencyKey]) },
      }),
    );
    return { user: result, replayed: after === undefined };
  }

  /** Step 1: the operation item, new or as an earlier call left it. */
  async #begin(operation: MoneyOperation): Promise<MoneyOperation> {
    const created = await conditionHeld(() =>
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...keys.moneyOperation(operation.idempotencyKey), kind: 'moneyOperation', ...operation },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (created) return operation;
    const existing = await this.#operation(operation.idempotencyKey);
    if (!existing) return this.#begin(operation);
    if (existing.userId !== operation.userId || existing.deltaNano !== operation.deltaNano) {
      throw AdminError.conflict(
        `Idempotency key "${operation.idempotencyKey}" was already used to add ` +
          `${formatNanoAsUsd(existing.deltaNano)} USD to user ${existing.userId}; ` +
          'use a new key for a different operation.',
      );
    }
    return existing;
  }

  /**
   * Step 2 (or the whole of an unkeyed addition): the bounded, marked addition. `undefined` when
   * the marker shows an earlier call of the same key already added the amount.
   */
  async #addToUser(
    userId: string,
    deltaNano: number,
    idempotencyKey: string | undefined,
  ): Promise<Stored<User> | undefined> {
    const bound = boundCondition(deltaNano);
    const names: Record<string, string> = {
      '#balance': 'balanceNano',
      '#version': 'version',
      '#updatedAt': 'updatedAt',
      ...(deltaNano > 0 ? { '#alerted': 'lowBalanceAlertedAt' } : {}),
    };
    const values: Record<string, unknown> = {
      ':delta': deltaNano,
      ':limit': bound.limit,
      ':zero': 0,
      ':one': 1,
      ':now': new Date().toISOString(),
    };
    let add = '#balance :delta';
    let condition = `attribute_exists(pk) AND ${bound.expression}`;
    if (idempotencyKey !== undefined) {
      names['#marks'] = MONEY_MARKS;
      values[':mark'] = idempotencyKey;
      values[':markSet'] = new Set([idempotencyKey]);
      add += ', #marks :markSet';
      condition += ' AND NOT contains(#marks, :mark)';
    }
    const added = await whenConditionHeld(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.user(userId),
          // A top-up re-arms the low-balance alert (`shared/alerts/alert-watch.ts`).
          UpdateExpression: `ADD ${add} SET #version = if_not_exists(#version, :zero) + :one, #updatedAt = :now${deltaNano > 0 ? ' REMOVE #alerted' : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (added) return entityOf<Stored<User>>(added.Attributes);
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: keys.user(userId), ConsistentRead: true }),
    );
    if (!item) throw AdminError.notFound(`User ${userId} does not exist.`);
    const marks = item[MONEY_MARKS];
    if (idempotencyKey !== undefined && marks instanceof Set && marks.has(idempotencyKey)) return undefined;
    const balance = Number(item.balanceNano ?? 0);
    throw AdminError.invalid(
      `Adding ${formatNanoAsUsd(deltaNano)} USD to the balance of user ${userId} ` +
        `(now ${formatNanoAsUsd(balance)} USD) would take it past ±${formatNanoAsUsd(MAX_MONEY_NANO)} USD, ` +
        'the most a balance can hold; nothing was changed.',
    );
  }

  /** Step 3: the operation applied with `result`; the answer stored first is the one returned. */
  async #finish(idempotencyKey: string, result: Stored<User>): Promise<Stored<User>> {
    const applied = await conditionHeld(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.moneyOperation(idempotencyKey),
          UpdateExpression: 'SET #state = :applied, #result = :result, #appliedAt = :now',
          ConditionExpression: '#state = :pending',
          ExpressionAttributeNames: { '#state': 'state', '#result': 'result', '#appliedAt': 'appliedAt' },
          ExpressionAttributeValues: {
            ':applied': 'applied',
            ':pending': 'pending',
            ':result': result,
            ':now': new Date().toISOString(),
          },
        }),
      ),
    );
    if (applied) return result;
    const stored = await this.#operation(idempotencyKey);
    if (!stored?.result) throw new Error(`money operation ${idempotencyKey} vanished while being applied`);
    return stored.result;
  }

  async #currentUser(userId: string): Promise<Stored<User>> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: keys.user(userId), ConsistentRead: true }),
    );
    const user = entityOf<Stored<User>>(item);
    if (!user) throw AdminError.notFound(`User ${userId} does not exist.`);
    return user;
  }

  async #operation(idempotencyKey: string): Promise<MoneyOperation | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({
        TableName: this.table,
        Key: keys.moneyOperation(idempotencyKey),
        ConsistentRead: true,
      }),
    );
    return entityOf<MoneyOperation>(item);
  }

  /** Removes a pending operation that was refused, so it never blocks its key. */
  async #forget(idempotencyKey: string): Promise<void> {
    await conditionHeld(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: keys.moneyOperation(idempotencyKey),
          ConditionExpression: '#state = :pending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pending': 'pending' },
        }),
      ),
    );
  }
}
