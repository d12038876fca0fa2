/**
 * The recorder's DynamoDB client on the stack's endpoint failing at one chosen write, for giving
 * one recorder delivery its own broken storage while every other delivery keeps the healthy
 * client. The n-th write reaches DynamoDB but its answer is lost (as when a network timeout or a
 * process death follows the send); then either
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
import { interceptedDocumentClient, isWrite } from './intercepted-dynamo.ts';

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

export function faultyDocumentClient(endpoint: string, fault: DynamoFault) {
  let writes = 0;
  let dead = false;
  return interceptedDocumentClient(endpoint, async (operation, _input, send) => {
    if (dead) throw new InjectedDynamoFault('the recorder is gone');
    if (!isWrite(operation)) return send();
    writes += 1;
    if (writes !== fault.failAtWrite) return send();
    dead = fault.afterwards === 'dead';
    await send().catch(() => undefined);
    throw new InjectedDynamoFault(`the answer to write ${writes} was lost`);
  });
}
