/**
 * The commands the stores send through a {@link DocumentClient}: named and shaped as
 * lib-dynamodb's (`new UpdateCommand({ TableName, Key, UpdateExpression, … })`, plain values in),
 * with lib-dynamodb's input types, but plain descriptions of our own: the operation and its input.
 *
 * lib-dynamodb's command classes import `@aws-sdk/client-dynamodb` and smithy, about 300 KB of
 * bundle a function parses at every cold start; a function whose stores send through the JSON
 * client (`JsonDocumentClient`, the recorder) never runs them. These carry nothing but their
 * input, and the input types come from lib-dynamodb as types only, which cost no bytes. The
 * SDK's client (`SdkDocumentClient`) turns them into lib-dynamodb's commands; only code that
 * already imports the SDK imports it.
 *
 * @example
 * ```ts
 * const { Item } = await client.send(new GetCommand({ TableName, Key: keys.user('u_1'), ConsistentRead: true }));
 * ```
 */
import type {
  BatchGetCommandInput,
  DeleteCommandInput,
  GetCommandInput,
  PutCommandInput,
  QueryCommandInput,
  ScanCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Operation } from './json-protocol.ts';

/**
 * The DynamoDB operation a command is: those of the JSON protocol, and the Scan that only the
 * SDK's client sends (tests and tools that read whole tables).
 */
export type DocumentOperation = Operation | 'Scan';

/**
 * One command: which operation, with which input. The literal `operation` of each subclass also
 * tells their types apart, so each `send` overload answers its own command's output.
 */
export abstract class DocumentCommand<Input extends object = object> {
  abstract readonly operation: DocumentOperation;
  readonly input: Input;

  constructor(input: Input) {
    this.input = input;
  }
}

/** GetItem: one item by its key. */
export class GetCommand extends DocumentCommand<GetCommandInput> {
  readonly operation = 'GetItem';
}

/** PutItem: a whole item, written or replaced. */
export class PutCommand extends DocumentCommand<PutCommandInput> {
  readonly operation = 'PutItem';
}

/** UpdateItem: attributes of one item changed by an update expression. */
export class UpdateCommand extends DocumentCommand<UpdateCommandInput> {
  readonly operation = 'UpdateItem';
}

/** DeleteItem: one item by its key. */
export class DeleteCommand extends DocumentCommand<DeleteCommandInput> {
  readonly operation = 'DeleteItem';
}

/** Query: the items of one partition (of a table or an index), a page at a time. */
export class QueryCommand extends DocumentCommand<QueryCommandInput> {
  readonly operation = 'Query';
}

/** BatchGetItem: up to 100 items by key, across tables. */
export class BatchGetCommand extends DocumentCommand<BatchGetCommandInput> {
  readonly operation = 'BatchGetItem';
}

/** Scan: a whole table, a page at a time (the SDK's client only). */
export class ScanCommand extends DocumentCommand<ScanCommandInput> {
  readonly operation = 'Scan';
}
