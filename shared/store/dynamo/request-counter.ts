/**
 * The count of DynamoDB requests this process sends, whichever client sends them (the SDK's
 * document client of client.ts or the JSON client of json-client.ts): the benchmark reads it to
 * report DynamoDB requests per gateway request, critical path and total, and its observer times
 * each request. A request is counted once, however many attempts its retries take.
 *
 * @example
 * ```ts
 * dynamoRequestCounter.reset();
 * await store.take(pool, 0, requestId, expiresAt, nowSeconds);
 * dynamoRequestCounter.byCommand.get('PutItemCommand'); // 1
 * ```
 */

/**
 * Told when a command starts (its name and table); the function it returns, if any, is called
 * once the command settles, retries included. The benchmark times each request with it.
 */
export type DynamoRequestObserver = (command: string, table: string | undefined) => (() => void) | undefined;

/** Counts of sent DynamoDB commands by name (`PutItemCommand`, …), for benchmarks and tests. */
export const dynamoRequestCounter = {
  total: 0,
  byCommand: new Map<string, number>(),
  observer: undefined as DynamoRequestObserver | undefined,
  reset(): void {
    this.total = 0;
    this.byCommand.clear();
  },
};

/**
 * Counts one command about to be sent and tells the observer; the answer, if any, is to be
 * called once the command settles.
 */
export function countDynamoRequest(command: string, table: string | undefined): (() => void) | undefined {
  dynamoRequestCounter.total += 1;
  dynamoRequestCounter.byCommand.set(command, (dynamoRequestCounter.byCommand.get(command) ?? 0) + 1);
  return dynamoRequestCounter.observer?.(command, table);
}
