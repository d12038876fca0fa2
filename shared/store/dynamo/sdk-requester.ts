/**
 * The AWS SDK as a {@link DynamoRequester}: each operation sent as the SDK's low-level command, whose
 * input and output are DynamoDB's typed attribute form too. For the processes that keep the SDK
 * and share a store with the gateway's hot path (the admin API and the CLI list live slots with
 * the gateway's `DynamoSlotStore`); its errors carry the same names as the JSON client's.
 *
 * @example
 * ```ts
 * const slots = new DynamoSlotStore(sdkRequester(documentClient()), settings.tables.state);
 * ```
 */
import {
  BatchGetItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoRequester, Operation } from './json-protocol.ts';
import type { SdkDocumentClient } from './sdk-document-client.ts';

const COMMANDS = {
  GetItem: GetItemCommand,
  PutItem: PutItemCommand,
  UpdateItem: UpdateItemCommand,
  DeleteItem: DeleteItemCommand,
  BatchGetItem: BatchGetItemCommand,
  Query: QueryCommand,
} satisfies Record<Operation, unknown>;

export function sdkRequester(client: SdkDocumentClient): DynamoRequester {
  return {
    async request(operation, input) {
      // One command class per operation, taking and answering the same typed attributes as ours
      // (plus binary, which we never send); TypeScript cannot relate the union of classes to O.
      const Command = COMMANDS[operation] as unknown as new (input: unknown) => PutItemCommand;
      return (await client.sdk.send(new Command(input))) as never;
    },
  };
}
