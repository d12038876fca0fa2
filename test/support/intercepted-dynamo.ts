/**
 * The recorder's production DynamoDB client (`JsonDocumentClient` over the JSON client) with a
 * hook on every request it sends, for giving one recorder its own faulty or observed storage.
 * The hook sits where the request leaves for DynamoDB: it sees the operation and its input in
 * DynamoDB's typed form, and decides whether, when and how often `send` reaches dynalite, and
 * what the recorder gets back. No code of the project is replaced.
 *
 * @example
 * ```ts
 * const client = interceptedDocumentClient(endpoint, async (operation, _input, send) => {
 *   if (operation === 'UpdateItem') throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
 *   return send();
 * });
 * await createRecorderRuntime({ tables, client, logger }).record(envelope);
 * client.destroy();
 * ```
 */
import { JsonDocumentClient } from '#shared/store/dynamo/document-client.ts';
import { createDynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import type { Operation, OperationInput } from '#shared/store/dynamo/json-protocol.ts';

/** Operations that write, by the JSON protocol's names. */
const WRITES = new Set<string>(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/** Whether a DynamoDB operation (`PutItem`, …) writes. */
export function isWrite(operation: string): boolean {
  return WRITES.has(operation);
}

/** Called for each request; `send` sends it (again, if called twice) and answers DynamoDB's output. */
export type Interceptor = (
  operation: Operation,
  input: OperationInput<Operation>,
  send: () => Promise<unknown>,
) => Promise<unknown>;

export function interceptedDocumentClient(
  endpoint: string,
  intercept: Interceptor,
): JsonDocumentClient & { destroy(): void } {
  const json = createDynamoJsonClient(endpoint);
  const client = new JsonDocumentClient({
    request: (operation, input) => intercept(operation, input, () => json.request(operation, input)) as never,
  });
  return Object.assign(client, { destroy: () => json.destroy() });
}
