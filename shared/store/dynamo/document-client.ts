/**
 * What the document stores send their commands through ({@link DocumentClient}), and the
 * gateway's JSON client behind that same interface ({@link JsonDocumentClient}).
 *
 * The stores speak lib-dynamodb's commands (`new UpdateCommand({ Key: { pk, sk }, … })`, plain
 * values in, plain items out) and depend only on `send`, so the AWS SDK's document client
 * (client.ts) and the JSON client can both stand behind them. The recorder sends about ten writes
 * per request through the JSON client: the SDK's middleware stack cost it more CPU than the
 * writes' own work (its profile: smithy's core, lib-dynamodb and SigV4 about half of its busy
 * time). The admin API, the token refresh and the CLI keep the SDK's client: a handful of
 * requests per call, where that CPU does not matter, and the CLI needs the SDK's credential
 * chain (profiles, SSO).
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
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  type DeleteCommandOutput,
  GetCommand,
  type GetCommandOutput,
  PutCommand,
  type PutCommandOutput,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { documentItemOf, typedItemOf } from './item-forms.ts';
import type { AttributeMap, DynamoRequester, Operation } from './json-protocol.ts';

/**
 * A DynamoDB document client as the stores use it: the SDK's `DynamoDBDocumentClient` or a
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
  operation: Operation;
  input: Record<string, Translate>;
  output: Record<string, Translate>;
}

/** A single-item write: its key (or whole item) and expression values out, the item's attributes back. */
const itemWrite = (operation: Operation, item: 'Key' | 'Item'): CommandTranslation => ({
  operation,
  input: { [item]: out, ExpressionAttributeValues: out },
  output: { Attributes: back },
});

/** Per command: the operation it is, and its fields that hold items or attribute values. */
const COMMANDS = new Map<unknown, CommandTranslation>([
  [GetCommand, { operation: 'GetItem', input: { Key: out }, output: { Item: back } }],
  [PutCommand, itemWrite('PutItem', 'Item')],
  [UpdateCommand, itemWrite('UpdateItem', 'Key')],
  [DeleteCommand, itemWrite('DeleteItem', 'Key')],
  [
    QueryCommand,
    {
      operation: 'Query',
      input: { ExclusiveStartKey: out, ExpressionAttributeValues: out },
      output: { Items: itemsBack, LastEvaluatedKey: back },
    },
  ],
  [
    BatchGetCommand,
    {
      operation: 'BatchGetItem',
      input: { RequestItems: keysPerTable(out) },
      output: {
        Responses: (tables: Record<string, AttributeMap[]>) =>
          Object.fromEntries(Object.entries(tables).map(([table, items]) => [table, itemsBack(items)])),
        UnprocessedKeys: keysPerTable(back),
      },
    },
  ],
]);

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

  /** One implementation of the interface's overloads: the command's class says which operation it is. */
  readonly send = ((command: { input: object }) => this.#send(command)) as DocumentClient['send'];

  async #send(command: { input: object }): Promise<unknown> {
    const spec = COMMANDS.get(command.constructor);
    if (!spec)
      throw new Error(`${command.constructor.name} is not one of the JSON document client's commands`);
    const input = translated(command.input as Fields, spec.input);
    const output = await this.#requester.request(spec.operation, input as never);
    return { ...translated(output as Fields, spec.output), $metadata: {} };
  }
}
