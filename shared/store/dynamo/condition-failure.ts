/**
 * Telling a refused condition from a failure. The stores' writes are conditional, and a refused
 * condition is an answer (the slot is taken, the change is stale, the item is gone), not an
 * error. The check goes by the error's name, which the SDK's `ConditionalCheckFailedException`
 * class carries, so it also holds for an equal error from another copy of the SDK.
 *
 * @example
 * ```ts
 * try {
 *   await client.send(new PutCommand({ TableName, Item, ConditionExpression: 'attribute_not_exists(pk)' }));
 *   return true;
 * } catch (error) {
 *   if (isConditionFailure(error)) return false;
 *   throw error;
 * }
 * ```
 */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/**
 * Runs one conditional write and answers what it returned, or `undefined` for a refused
 * condition; any other error is thrown. For a write whose answer is needed (`ReturnValues`).
 *
 * @example
 * ```ts
 * const written = await whenConditionHeld(() => client.send(new UpdateCommand({ …, ReturnValues: 'ALL_NEW' })));
 * if (!written) return undefined; // the item was not at the expected version
 * ```
 */
export async function whenConditionHeld<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Runs one conditional write and answers whether its condition held: `false` for a refused
 * condition, the error itself for anything else. A caller to whom a refusal is as good as the
 * write (a release lost to expiry, a record written first by someone else) awaits it and lets
 * the answer go.
 *
 * @example
 * ```ts
 * const taken = await conditionHeld(() => client.send(new PutCommand({ TableName, Item, ConditionExpression })));
 * ```
 */
export async function conditionHeld(write: () => Promise<unknown>): Promise<boolean> {
  return (
    (await whenConditionHeld(async () => {
      await write();
      return true;
    })) ?? false
  );
}
