/**
 * A real DynamoDB document client on the stack's endpoint that fails at one chosen write, for
 * giving one recorder delivery its own broken storage while every other delivery keeps the
 * healthy client. The n-th write reaches DynamoDB but its answer is lost (as when a network
 * timeout or a process death follows the send); then either
 *
 * - `dead`: every later request fails too, the recorder process is gone mid-record (its lease
 *   stays until it ends), or
 * - `glitch`: later requests work again, so the recorder's own clean-up (releasing its lease)
 *   runs and a redelivery can take over at once.
 *
 * @example
 * ```ts
 * const client = faultyDocumentClient(stack.dynamo.endpoint, { failAtWrite: 3, afterwards: 'dead' });
 * await createRecorderRuntime({ tables, client, logger }).record(envelope).catch(() => {});
 * client.destroy();
 * ```
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';

const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

export class InjectedDynamoFault extends Error {
  constructor(what: string) {
    super(`injected DynamoDB fault: ${what}`);
    this.name = 'InjectedDynamoFault';
  }
}

export interface DynamoFault {
  /** The write (1-based) whose answer is lost. */
  failAtWrite: number;
  afterwards: 'dead' | 'glitch';
}

export function faultyDocumentClient(endpoint: string, fault: DynamoFault): DynamoDBDocumentClient {
  const client = createDocumentClient(endpoint);
  let writes = 0;
  let dead = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (dead) throw new InjectedDynamoFault('the recorder is gone');
      if (!WRITES.has(context.commandName ?? '')) return next(args);
      writes += 1;
      if (writes !== fault.failAtWrite) return next(args);
      dead = fault.afterwards === 'dead';
      await next(args).catch(() => undefined);
      throw new InjectedDynamoFault(`the answer to write ${writes} was lost`);
    },
    { step: 'initialize', name: 'injectedDynamoFault' },
  );
  return client;
}
