/**
 * What every single-table DynamoDB store is bound to: the client it sends with and the name of
 * the one table it reads and writes. The stores extend it instead of each repeating the same two
 * fields and constructor; a store over several tables (the usage ledger, the alert store) takes
 * its own `TableNames` instead.
 *
 * `Client` is the document client unless a store sends through another (the export API's
 * low-level client, a lighter client for the gateway's hot path).
 *
 * @example
 * ```ts
 * class DynamoStickyStore extends DynamoTableStore implements StickyStore {
 *   async bind(groupId: string, sessionHash: string, accountId: string, expiresAt: number) {
 *     await this.client.send(new PutCommand({ TableName: this.table, Item: { … } }));
 *   }
 * }
 * new DynamoStickyStore(documentClient(), settings.tables.state);
 * ```
 */
import type { DocumentClient } from './document-client.ts';

export abstract class DynamoTableStore<Client = DocumentClient> {
  protected readonly client: Client;
  /** The table's name as deployed (the stack's or the local stack's). */
  protected readonly table: string;

  constructor(client: Client, table: string) {
    this.client = client;
    this.table = table;
  }
}
