/**
 * The Config-table stores that read or write upstream account credentials (the gateway's
 * directory, the admin store, the OAuth account store). Each is bound to its table like every
 * store and holds the sealer that seals credentials on write and opens them on read: the
 * process's by default (`secretSealer`: the stack's KMS key or the local key file), one of their
 * own in tests. The sealer is a function called at each use, so a process that never touches
 * credentials never chooses one.
 *
 * @example
 * ```ts
 * class DynamoOAuthAccountStore extends DynamoSealingStore implements OAuthAccountStore { … }
 * new DynamoOAuthAccountStore(documentClient(), settings.tables.config); // the process's sealer
 * ```
 */

import { secretSealer } from '../../secrets/default-sealer.ts';
import type { SecretSealer } from '../../secrets/secret-sealer.ts';
import type { DocumentClient } from './document-client.ts';
import { DynamoTableStore } from './table-store.ts';

export abstract class DynamoSealingStore extends DynamoTableStore {
  protected readonly sealer: () => SecretSealer;

  constructor(client: DocumentClient, configTable: string, sealer: () => SecretSealer = secretSealer) {
    super(client, configTable);
    this.sealer = sealer;
  }
}
