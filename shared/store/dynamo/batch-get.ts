/**
 * Reading items by key in as few requests as possible (BatchGetItem). Reads asked for before the
 * event loop next turns — on any table of the same client, with any options — leave together in
 * one request: on a cold config cache the gateway's caller records and a new instance's read of
 * its accounts' credentials (Config) and its sticky session (State) are one round trip and one
 * request, and on a warm one the sticky session (asked for once the key is known) and the fresh
 * billing read (asked for a few awaits later) are too. Waiting for the loop's
 * turn (`setImmediate`) rather than the end of the synchronous run costs no time: the request is
 * sent as soon as the code that asked has nothing left to do but wait. Keys DynamoDB leaves
 * unprocessed (throttling, past 16 MB) are retried a bounded number of times.
 *
 * @example
 * ```ts
 * const found = await batchGetItems(client, tables.config, [keys.user('u_1'), keys.requestDefaults()]);
 * found.get(itemKeyId(keys.user('u_1'))); // the item, or undefined when it does not exist
 * ```
 */

import type { BatchGetCommandInput, BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { ItemKey } from '../../tables/keys.ts';
import { BatchGetCommand } from './commands.ts';
import type { DocumentClient } from './document-client.ts';
import { documentItemOf, type StoredItem } from './item-forms.ts';
import type { AttributeMap, DynamoRequester } from './json-protocol.ts';

/** Attempts for keys left unprocessed, with a short doubling pause between them. */
const ATTEMPTS = 4;
const FIRST_PAUSE_MS = 10;
/** DynamoDB's limit of keys per BatchGetItem. */
const MAX_KEYS = 100;

/** The map key of an item in {@link batchGetItems}' answer. */
export function itemKeyId(key: ItemKey): string {
  return `${key.pk}\u0000${key.sk}`;
}

export interface BatchReadOptions {
  /** Strongly consistent reads; eventually consistent (half the price) by default. */
  consistentRead?: boolean;
  /** Attributes to return; `pk` and `sk` are always added, the answer is matched on them. */
  attributes?: readonly string[];
}

interface Pending {
  table: string;
  options: BatchReadOptions;
  keys: ItemKey[];
  resolve: (found: Map<string, StoredItem>) => void;
  reject: (error: unknown) => void;
}

/** One table's part of a request: its options and keys. */
interface TableRead {
  table: string;
  options: BatchReadOptions;
  keys: Map<string, ItemKey>;
  waiting: Pending[];
}

const queues = new WeakMap<DocumentClient, Pending[]>();
const requesters = new WeakMap<DocumentClient, DynamoRequester>();

/**
 * Sends the reads asked of `client` through `requester` (the gateway's JSON client,
 * json-client.ts) instead of the SDK: the batch reads here, and the reads that look up
 * {@link readRequesterOf} (the config directory's key read and account listing, a cold request's
 * other two). Reads still join by `client`, so every store reading through that document client
 * (the config directory, sticky sessions, the credential reads) keeps sharing one request, and
 * none of them changes: the gateway's wiring calls this once.
 */
export function sendReadsThrough(client: DocumentClient, requester: DynamoRequester): void {
  requesters.set(client, requester);
}

/** The requester {@link sendReadsThrough} gave `client`, if any: its reads go through it. */
export function readRequesterOf(client: DocumentClient): DynamoRequester | undefined {
  return requesters.get(client);
}

/**
 * Reads keys of one table; the answer maps {@link itemKeyId} to each item found. Joins the other
 * reads of the same client asked for before the event loop next turns, and sends them at most 100
 * keys to a request, DynamoDB's limit.
 */
export function batchGetItems(
  client: DocumentClient,
  tableName: string,
  itemKeys: readonly ItemKey[],
  options: BatchReadOptions = {},
): Promise<Map<string, StoredItem>> {
  return new Promise((resolve, reject) => {
    let queue = queues.get(client);
    if (!queue) {
      const fresh: Pending[] = [];
      queue = fresh;
      queues.set(client, fresh);
      setImmediate(() => {
        queues.delete(client);
        void flush(client, fresh);
      });
    }
    queue.push({ table: tableName, options, keys: [...itemKeys], resolve, reject });
  });
}

/**
 * What one read of a table answers every reader of it in the same turn: strongly consistent if
 * any asked so, and every attribute any asked for (whole items if one asked for whole items). A
 * reader may get more than it asked, never less, and a table's reads never need two requests
 * (DynamoDB takes a table once per BatchGetItem, with one set of options).
 */
function widened(held: BatchReadOptions, asked: BatchReadOptions): BatchReadOptions {
  const consistentRead = held.consistentRead === true || asked.consistentRead === true;
  const attributes =
    held.attributes && asked.attributes ? [...new Set([...held.attributes, ...asked.attributes])] : undefined;
  return { ...(consistentRead ? { consistentRead } : {}), ...(attributes ? { attributes } : {}) };
}

/** Groups the waiting reads by table, packs them into as few requests as allowed. */
async function flush(client: DocumentClient, waiting: Pending[]): Promise<void> {
  const groups = new Map<string, TableRead>();
  for (const read of waiting) {
    let group = groups.get(read.table);
    if (!group) {
      group = { table: read.table, options: read.options, keys: new Map(), waiting: [] };
      groups.set(read.table, group);
    } else group.options = widened(group.options, read.options);
    for (const key of read.keys) group.keys.set(itemKeyId(key), key);
    group.waiting.push(read);
  }
  // A request holds each table once (one set of options) and at most 100 keys. A group of more
  // keys (two admin listings asked at once can merge past the limit) is read in chunks, and its
  // readers are answered once every chunk is in.
  const requests: TableRead[][] = [];
  const chunksOf = new Map<TableRead, TableRead[]>();
  for (const group of groups.values()) {
    const keys = [...group.keys];
    const chunks: TableRead[] = [];
    for (let start = 0; start < keys.length; start += MAX_KEYS)
      chunks.push({ ...group, keys: new Map(keys.slice(start, start + MAX_KEYS)) });
    chunksOf.set(group, chunks);
    for (const chunk of chunks) {
      const fits = requests.find(
        (request) =>
          !request.some((part) => part.table === chunk.table) &&
          request.reduce((sum, part) => sum + part.keys.size, 0) + chunk.keys.size <= MAX_KEYS,
      );
      if (fits) fits.push(chunk);
      else requests.push([chunk]);
    }
  }
  const answerOf = new Map<TableRead, Promise<Map<string, StoredItem>>>();
  for (const parts of requests) {
    const sent = send(client, parts);
    for (const part of parts)
      answerOf.set(
        part,
        sent.then((found) => found.get(part.table) ?? new Map()),
      );
  }
  await Promise.all(
    [...chunksOf].map(async ([group, chunks]) => {
      try {
        const answers = await Promise.all(chunks.map((chunk) => answerOf.get(chunk) ?? new Map()));
        const found =
          answers.length === 1 && answers[0] ? answers[0] : new Map(answers.flatMap((answer) => [...answer]));
        for (const read of group.waiting) read.resolve(found);
      } catch (error) {
        for (const read of group.waiting) read.reject(error);
      }
    }),
  );
}

async function send(
  client: DocumentClient,
  parts: TableRead[],
): Promise<Map<string, Map<string, StoredItem>>> {
  const found = new Map(parts.map((part) => [part.table, new Map<string, StoredItem>()]));
  const byTable = new Map(parts.map((part) => [part.table, part]));
  let pending = new Map(
    parts.map((part) => [part.table, [...part.keys.values()].map(({ pk, sk }) => ({ pk, sk }))]),
  );
  for (let attempt = 0; [...pending.values()].some((keys) => keys.length > 0); attempt++) {
    if (attempt >= ATTEMPTS) throw new Error('BatchGetItem left keys unprocessed');
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, FIRST_PAUSE_MS * 2 ** (attempt - 1)));
    const requestItems: NonNullable<BatchGetCommandInput['RequestItems']> = {};
    for (const [table, keys] of pending) {
      if (keys.length === 0) continue;
      const options = byTable.get(table)?.options ?? {};
      requestItems[table] = {
        Keys: keys,
        ...(options.consistentRead ? { ConsistentRead: true } : {}),
        ...(options.attributes
          ? {
              ProjectionExpression: ['pk', 'sk', ...options.attributes].map((_, i) => `#a${i}`).join(', '),
              ExpressionAttributeNames: Object.fromEntries(
                ['pk', 'sk', ...options.attributes].map((name, i) => [`#a${i}`, name]),
              ),
            }
          : {}),
      };
    }
    const output = await batchGet(client, requestItems);
    for (const [table, items] of Object.entries(output.Responses ?? {}))
      for (const item of items)
        found.get(table)?.set(itemKeyId({ pk: String(item.pk), sk: String(item.sk) }), item);
    pending = new Map(
      [...pending.keys()].map((table) => [
        table,
        (output.UnprocessedKeys?.[table]?.Keys ?? []) as { pk: string; sk: string }[],
      ]),
    );
  }
  return found;
}

type RequestItems = NonNullable<BatchGetCommandInput['RequestItems']>;

/** One BatchGetItem in the document client's form, through the client's requester if it has one. */
async function batchGet(
  client: DocumentClient,
  requestItems: RequestItems,
): Promise<Pick<BatchGetCommandOutput, 'Responses' | 'UnprocessedKeys'>> {
  const requester = requesters.get(client);
  if (!requester) return client.send(new BatchGetCommand({ RequestItems: requestItems }));
  const typed: Record<string, { Keys: AttributeMap[] }> = {};
  for (const [table, { Keys = [], ...rest }] of Object.entries(requestItems)) {
    typed[table] = {
      ...rest,
      Keys: Keys.map((key) => ({ pk: { S: String(key.pk) }, sk: { S: String(key.sk) } })),
    };
  }
  const output = await requester.request('BatchGetItem', { RequestItems: typed });
  return {
    Responses: Object.fromEntries(
      Object.entries(output.Responses ?? {}).map(([table, items]) => [table, items.map(documentItemOf)]),
    ),
    UnprocessedKeys: Object.fromEntries(
      Object.entries(output.UnprocessedKeys ?? {}).map(([table, unprocessed]) => [
        table,
        { ...unprocessed, Keys: unprocessed.Keys.map(documentItemOf) },
      ]),
    ),
  };
}
