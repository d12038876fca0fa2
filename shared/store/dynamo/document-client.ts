/**
 * What the document stores send their commands through ({@link DocumentClient}), and the
 * gateway's JSON client behind that same interface ({@link JsonDocumentClient}).
 *
 * The stores speak commands shaped as lib-dynamodb's (`new UpdateCommand({ Key: { pk, sk }, … })`
 * from commands.ts, plain values in, plain items out) and depend only on `send`, so the AWS SDK's
 * document client (`SdkDocumentClient`, sdk-document-client.ts) and the JSON client can both stand
 * behind them. Neither this file nor commands.ts imports the SDK: a function whose stores send
 * through the JSON client bundles no SDK client. Every Lambda function but the usage export
 * sends through the JSON client: the SDK's middleware stack cost the recorder (about ten writes a
 * request) more CPU than the writes' own work (its profile: smithy's core, lib-dynamodb and SigV4
 * about half of its busy time), and the SDK's client, credential chain and smithy were most of
 * each bundle a cold start reads. The CLI and the local admin server keep the SDK's client: they
 * need its credential chain (profiles, SSO).
 *
 * The JSON client translates exactly what lib-dynamodb translates for the commands the stores
 * use, with the same options (`DOCUMENT_TRANSLATION`: undefined values removed, numbers read as
 * numbers, string sets as `Set`s): keys, items, expression values and start keys out; items,
 * attributes and unprocessed keys in. The stores write expressions only, never the legacy
 * parameters (`Expected`, `AttributeUpdates`, `KeyConditions`), which it sends untranslated.
 *
 * @example
 * ```ts
 * const client: DocumentClient = new JsonDocumentClient(dynamoJsonClient());
 * const { Item } = await client.send(new GetCommand({ TableName, Key: keys.user('u_1'), ConsistentRead: true }));
 * ```
 */
import type {
  BatchGetCommandOutput,
  DeleteCommandOutput,
  GetCommandOutput,
  PutCommandOutput,
  QueryCommandOutput,
  ScanCommandOutput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from './commands.ts';
import { documentItemOf, typedItemOf } from './item-forms.ts';
import type { AttributeMap, DynamoRequester, Operation } from './json-protocol.ts';

/**
 * A DynamoDB document client as the stores use it: the SDK's (`SdkDocumentClient`) or a
 * {@link JsonDocumentClient}. One overload per command they send.
 */
export interface DocumentClient {
  send(command: GetCommand): Promise<GetCommandOutput>;
  send(command: PutCommand): Promise<PutCommandOutput>;
  send(command: UpdateCommand): Promise<UpdateCommandOutput>;
  send(command: DeleteCommand): Promise<DeleteCommandOutput>;
  send(command: QueryCommand): Promise<QueryCommandOutput>;
  send(command: BatchGetCommand): Promise<BatchGetCommandOutput>;
}

/**
 * A client that can also read a whole table, which no store does on a request's path: the SDK's
 * (`SdkDocumentClient`), for tests and tools (`scanAll` in query-pages.ts).
 */
export interface ScanningClient {
  send(command: ScanCommand): Promise<ScanCommandOutput>;
}

type Fields = Record<string, unknown>;
type Translate = (value: never) => unknown;

/** Replaces the named fields of `message` (those it has) by their translation. */
function translated(message: Fields, fields: Record<string, Translate>): Fields {
  const result: Fields = { ...message };
  for (const [field, translate] of Object.entries(fields)) {
    if (message[field] !== undefined) result[field] = translate(message[field] as never);
  }
  return result;
}

/** Each table's entry of a BatchGetItem, its `Keys` translated. */
function keysPerTable(translate: Translate) {
  return (tables: Record<string, Fields>) =>
    Object.fromEntries(
      Object.entries(tables).map(([table, read]) => [
        table,
        translated(read, { Keys: (keys: never[]) => keys.map(translate) }),
      ]),
    );
}

/** An item or a map of attribute values, out to DynamoDB and back. */
const out = typedItemOf;
const back = documentItemOf;
const itemsBack = (items: AttributeMap[]) => items.map(back);

interface CommandTranslation {
  input: Record<string, Translate>;
  output: Record<string, Translate>;
}

/** A single-item write: its key (or whole item) and expression values out, the item's attributes back. */
const itemWrite = (item: 'Key' | 'Item'): CommandTranslation => ({
  input: { [item]: out, ExpressionAttributeValues: out },
  output: { Attributes: back },
});

/** Per operation: its fields that hold items or attribute values. */
const COMMANDS: Record<Operation, CommandTranslation> = {
  GetItem: { input: { Key: out }, output: { Item: back } },
  PutItem: itemWrite('Item'),
  UpdateItem: itemWrite('Key'),
  DeleteItem: itemWrite('Key'),
  Query: {
    input: { ExclusiveStartKey: out, ExpressionAttributeValues: out },
    output: { Items: itemsBack, LastEvaluatedKey: back },
  },
  BatchGetItem: {
    input: { RequestItems: keysPerTable(out) },
    output: {
      Responses: (tables: Record<string, AttributeMap[]>) =>
        Object.fromEntries(Object.entries(tables).map(([table, items]) => [table, itemsBack(items)])),
      UnprocessedKeys: keysPerTable(back),
    },
  },
};

/**
 * The document commands sent through a {@link DynamoRequester}: the gateway's JSON client
 * (json-client.ts), which counts, retries and signs each request. Errors are the requester's,
 * named after their DynamoDB type, so `isConditionFailure` holds as with the SDK.
 */
export class JsonDocumentClient implements DocumentClient {
  readonly #requester: DynamoRequester;

  constructor(requester: DynamoRequester) {
    this.#requester = requester;
  }

  /** One implementation of the interface's overloads: the command says which operation it is. */
  readonly send = ((command: { operation?: string; input: object }) =>
    this.#send(command)) as DocumentClient['send'];

  async #send(command: { operation?: string; input: object }): Promise<unknown> {
    // A command of another kind (a Scan, or one of lib-dynamodb's own) is refused by its class name.
    const operation = command.operation;
    if (operation === undefined || !Object.hasOwn(COMMANDS, operation))
      throw new Error(`${command.constructor.name} is not one of the JSON document client's commands`);
    const spec = COMMANDS[operation as Operation];
    const input = translated(command.input as Fields, spec.input);
    const output = await this.#requester.request(operation as Operation, input as never);
    return { ...translated(output as Fields, spec.output), $metadata: {} };
  }
}
