/**
 * The AWS SDK's document client behind the stores' {@link DocumentClient}: each of the stores'
 * commands (commands.ts) sent as lib-dynamodb's command of the same name and input, so the SDK
 * translates, signs, retries and counts it as it always has (client.ts). For the processes that
 * keep the SDK for its credential chain: the CLI, the local admin server and tools; every Lambda
 * function but the usage export sends through the JSON client. Only code that already imports the
 * SDK imports this file, so those functions bundle no SDK client.
 *
 * lib-dynamodb's own commands (and the low-level client's) pass through as they are, so a test or
 * tool that reads a whole table with lib-dynamodb's `ScanCommand` uses the same client.
 *
 * @example
 * ```ts
 * const client = new SdkDocumentClient(DynamoDBDocumentClient.from(new DynamoDBClient({}), DOCUMENT_TRANSLATION));
 * const { Item } = await client.send(new GetCommand({ TableName, Key: keys.user('u_1') })); // commands.ts
 * ```
 */
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DocumentCommand, type DocumentOperation } from './commands.ts';
import type { DocumentClient, ScanningClient } from './document-client.ts';

/** lib-dynamodb's command class for each operation the stores' commands name. */
const SDK_COMMANDS = {
  GetItem: GetCommand,
  PutItem: PutCommand,
  UpdateItem: UpdateCommand,
  DeleteItem: DeleteCommand,
  Query: QueryCommand,
  BatchGetItem: BatchGetCommand,
  Scan: ScanCommand,
} satisfies Record<DocumentOperation, unknown>;

type SdkSend = DynamoDBDocumentClient['send'];

/** The SDK's document client as a {@link DocumentClient} (and a {@link ScanningClient}). */
export class SdkDocumentClient implements DocumentClient, ScanningClient {
  /** The SDK's client itself, for what only it sends (the low-level commands of `sdkRequester`). */
  readonly sdk: DynamoDBDocumentClient;

  constructor(sdk: DynamoDBDocumentClient) {
    this.sdk = sdk;
  }

  /**
   * The stores' commands, each as lib-dynamodb's of the same name, and the SDK's own commands as
   * they are. The errors are the SDK's, so `isConditionFailure` holds as before.
   */
  readonly send = ((command: object, ...rest: unknown[]) =>
    (this.sdk.send as (...args: unknown[]) => unknown)(
      command instanceof DocumentCommand
        ? // Each class takes the input type of its own operation, which the command was built with.
          new (SDK_COMMANDS[command.operation] as new (input: object) => GetCommand)(command.input)
        : command,
      ...rest,
    )) as DocumentClient['send'] & ScanningClient['send'] & SdkSend;

  /** Closes the SDK client's connections. */
  destroy(): void {
    this.sdk.destroy();
  }
}
