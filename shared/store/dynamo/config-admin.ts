/**
 * {@link ConfigAdmin} on the Config table. Items are laid out by `config-items.ts` and keyed by
 * `tables/keys.ts` (addressed by kind and ref in `config-entity-refs.ts`), so the gateway reads
 * exactly what the admin wrote. Every write is conditional: inserts on `attribute_not_exists(pk)`,
 * updates and deletes on `attribute_exists(pk)` plus, when asked, the item's `version`
 * (`versioned-update.ts`); balance changes are `balance-operations.ts`.
 *
 * Listing goes through the `listing` index (users, groups, accounts, keys of a user), whose
 * entries name the items, which are then read whole (the index leaves out balances, spend and
 * credentials, which change per request or must not be copied). Two admin look-ups go
 * through every user instead, one small Query each, which is fine for an operation a person runs
 * by hand: finding a key by its public id (the item key is the hash of the secret) and listing
 * every user's subscriptions. Nothing Scans the table, so the admin role has no Scan.
 *
 * @example
 * ```ts
 * const store = new DynamoConfigAdmin(documentClient(), 'quotagate-local-config');
 * await store.insert('group', { id: 'team', name: 'Team', rateMultiplier: 1, billingMode: 'balance', createdAt });
 * ```
 */

import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { proxyEndpointOf } from '../../admin/account-egress.ts';
import { AdminError } from '../../admin/admin-error.ts';
import type { Account, ApiKey, Group, Subscription, User } from '../../domain/types.ts';
import {
  accountSecretContext,
  SECRET_CREDENTIAL_FIELDS,
  sealCredentials,
} from '../../secrets/account-credentials.ts';
import { isSealed, type SecretSealer } from '../../secrets/secret-sealer.ts';
import { keys, LIST } from '../../tables/keys.ts';
import type {
  BalanceChange,
  Changes,
  ConfigAdmin,
  ConfigEntities,
  EntityKind,
  EntityRefs,
  Stored,
  UpdateOptions,
} from '../config-admin.ts';
import { DynamoBalanceOperations } from './balance-operations.ts';
import { batchGetItems, itemKeyId } from './batch-get.ts';
import { conditionHeld, whenConditionHeld } from './condition-failure.ts';
import { describeEntity, itemKeyOf, itemOf, refOf } from './config-entity-refs.ts';
import {
  BUMP_CREDENTIALS_VERSION,
  CREDENTIALS_VERSION_NAMES,
  entityOf,
  type Item,
  listingQuery,
} from './config-items.ts';
import { queryAll } from './query-pages.ts';
import { DynamoSealingStore } from './sealing-store.ts';
import { type AttributeEdit, editOf, versionCondition, versionedUpdateInput } from './versioned-update.ts';

/** Users whose keys or subscriptions are read at once when looking through all of them. */
const PER_USER_PARALLEL = 16;
/** DynamoDB's limit of keys per BatchGetItem. */
const BATCH_KEYS = 100;

export class DynamoConfigAdmin extends DynamoSealingStore implements ConfigAdmin {
  readonly #balances: DynamoBalanceOperations;

  /** `sealer`: what seals account credentials on write (default: the process's, from its environment). */
  constructor(client: DynamoDBDocumentClient, configTableName: string, sealer?: () => SecretSealer) {
    super(client, configTableName, sealer);
    this.#balances = new DynamoBalanceOperations(client, configTableName);
  }

  async insert<K extends EntityKind>(kind: K, entity: ConfigEntities[K]): Promise<Stored<ConfigEntities[K]>> {
    const stored = { ...entity, version: 1, updatedAt: new Date().toISOString() };
    const item = itemOf(kind, stored);
    // Upstream credentials never reach the table in plain text (see account-credentials.ts).
    if (kind === 'account') {
      const account = stored as unknown as Account;
      item.credentials = await sealCredentials(this.sealer(), account.id, account.credentials);
    }
    const created = await conditionHeld(() =>
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (!created) throw AdminError.conflict(`${describeEntity(kind, refOf(kind, entity))} already exists.`);
    return stored;
  }

  async get<K extends EntityKind>(
    kind: K,
    ref: EntityRefs[K],
  ): Promise<Stored<ConfigEntities[K]> | undefined> {
    const { Item: item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: itemKeyOf(kind, ref), ConsistentRead: true }),
    );
    return entityOf<Stored<ConfigEntities[K]>>(item);
  }

  async update<K extends EntityKind>(
    kind: K,
    ref: EntityRefs[K],
    changes: Changes<K>,
    options: UpdateOptions = {},
  ): Promise<Stored<ConfigEntities[K]>> {
    return this.#versionedUpdate(kind, ref, editOf(changes), options);
  }

  /** Applies `edit`, bumping the version and `updatedAt`, pinned to `options.ifVersion` if given. */
  #versionedUpdate<K extends EntityKind>(
    kind: K,
    ref: EntityRefs[K],
    edit: AttributeEdit,
    options: UpdateOptions,
  ): Promise<Stored<ConfigEntities[K]>> {
    return this.#conditionalUpdate(kind, ref, versionedUpdateInput(edit, options));
  }

  async sealAccountCredentials(accountId: string): Promise<boolean> {
    const account = await this.get('account', accountId);
    if (!account) throw AdminError.notFound(`${describeEntity('account', accountId)} does not exist.`);
    const stored = account.credentials as unknown as Record<string, unknown>;
    const plain = SECRET_CREDENTIAL_FIELDS.filter(
      (field) => typeof stored[field] === 'string' && !isSealed(stored[field]),
    );
    if (plain.length === 0) return false;
    const sealed = await sealCredentials(this.sealer(), accountId, account.credentials);
    const names: Record<string, string> = { '#credentials': 'credentials', ...CREDENTIALS_VERSION_NAMES };
    const values: Record<string, unknown> = { ':sealed': sealed, ':zero': 0, ':one': 1 };
    // Only if each plain value read is still the stored one: a refresh meanwhile wrote sealed tokens.
    const condition = plain.map((field, index) => {
      names[`#f${index}`] = field;
      values[`:p${index}`] = stored[field];
      return `#credentials.#f${index} = :p${index}`;
    });
    return conditionHeld(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.account(accountId),
          UpdateExpression: `SET #credentials = :sealed, ${BUMP_CREDENTIALS_VERSION}`,
          ConditionExpression: ['attribute_exists(pk)', ...condition].join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      ),
    );
  }

  async setAccountProxy(
    accountId: string,
    proxyUrl: string | undefined,
    options: UpdateOptions = {},
  ): Promise<Stored<Account>> {
    const names = {
      '#credentials': 'credentials',
      '#proxyUrl': 'proxyUrl',
      '#endpoint': 'proxyEndpoint',
      ...CREDENTIALS_VERSION_NAMES,
    };
    // versionedUpdateInput supplies `:zero` and `:one`.
    if (proxyUrl === undefined) {
      const removes = ['#credentials.#proxyUrl', '#endpoint'];
      const edit = { names, values: {}, sets: [BUMP_CREDENTIALS_VERSION], removes };
      return this.#versionedUpdate('account', accountId, edit, options);
    }
    const values = {
      ':proxyUrl': await this.sealer().seal(proxyUrl, accountSecretContext(accountId, 'proxyUrl')),
      ':endpoint': proxyEndpointOf(proxyUrl),
    };
    const sets = ['#credentials.#proxyUrl = :proxyUrl', '#endpoint = :endpoint', BUMP_CREDENTIALS_VERSION];
    return this.#versionedUpdate('account', accountId, { names, values, sets, removes: [] }, options);
  }

  addToBalance(userId: string, deltaNano: number): Promise<Stored<User>> {
    return this.#balances.add(userId, deltaNano);
  }

  addToBalanceOnce(userId: string, deltaNano: number, idempotencyKey: string): Promise<BalanceChange> {
    return this.#balances.addOnce(userId, deltaNano, idempotencyKey);
  }

  listUsers(): Promise<Stored<User>[]> {
    return this.#listed(LIST.users);
  }

  listGroups(): Promise<Stored<Group>[]> {
    return this.#listed(LIST.groups);
  }

  listAccounts(): Promise<Stored<Account>[]> {
    return this.#listed(LIST.accounts);
  }

  listApiKeys(userId: string): Promise<Stored<ApiKey>[]> {
    return this.#listed(LIST.keysOf(userId));
  }

  async findApiKeyById(id: string): Promise<Stored<ApiKey> | undefined> {
    // Each user's key listing, asked for exactly this id: small queries, no Scan.
    const found = await this.#perUser((userId) =>
      this.#query<ApiKey>(listingQuery(LIST.keysOf(userId), { id })),
    );
    const listed = found[0];
    // The index lags a moment behind a write: the caller gets the item itself, read consistently.
    return listed && this.get('apiKey', { hash: listed.hash, id: listed.id });
  }

  listSubscriptions(userId?: string): Promise<Stored<Subscription>[]> {
    if (userId === undefined) return this.#perUser((id) => this.listSubscriptions(id));
    const { pk, skPrefix } = keys.subscriptionPrefix(userId);
    return this.#query<Subscription>({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
      ConsistentRead: true,
    });
  }

  /**
   * `read` for every user (listed through `listing`; users are archived, never deleted), a few at a
   * time, in the listing's order. What a Scan did, with Query only: the admin role needs no Scan.
   */
  async #perUser<T>(read: (userId: string) => Promise<T[]>): Promise<T[]> {
    const userIds = (
      await queryAll(this.client, {
        TableName: this.table,
        ...listingQuery(LIST.users, { projection: 'gsi1sk' }),
      })
    ).map((item) => item.gsi1sk as string);
    const results: T[][] = [];
    for (let start = 0; start < userIds.length; start += PER_USER_PARALLEL) {
      results.push(...(await Promise.all(userIds.slice(start, start + PER_USER_PARALLEL).map(read))));
    }
    return results.flat();
  }

  async #conditionalUpdate<K extends EntityKind>(
    kind: K,
    ref: EntityRefs[K],
    expression: Omit<UpdateCommandInput, 'TableName' | 'Key' | 'ReturnValues'>,
  ): Promise<Stored<ConfigEntities[K]>> {
    const updated = await whenConditionHeld(() =>
      this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: itemKeyOf(kind, ref),
          ...expression,
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (!updated) throw await this.#refusal(kind, ref);
    return entityOf<Stored<ConfigEntities[K]>>(updated.Attributes) as Stored<ConfigEntities[K]>;
  }

  /** Why a write conditioned on the item's existence (and version) was refused. */
  async #refusal<K extends EntityKind>(kind: K, ref: EntityRefs[K]): Promise<AdminError> {
    const current = await this.get(kind, ref);
    if (!current) return AdminError.notFound(`${describeEntity(kind, ref)} does not exist.`);
    return AdminError.conflict(
      `${describeEntity(kind, ref)} was changed by someone else (it is now at version ${current.version ?? 0}); ` +
        'read it again and retry.',
    );
  }

  async remove(kind: 'account' | 'group', id: string, options: UpdateOptions = {}): Promise<void> {
    const { condition, values } = versionCondition(options.ifVersion);
    const removed = await conditionHeld(() =>
      this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: itemKeyOf(kind, id),
          ConditionExpression: condition,
          ...(options.ifVersion === undefined ? {} : { ExpressionAttributeNames: { '#version': 'version' } }),
          ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
        }),
      ),
    );
    if (!removed) throw await this.#refusal(kind, id);
  }

  /**
   * The items of a listing, whole and in its order: the index names them (its entries hold no
   * balance, spend, marker or credential), one consistent BatchGetItem per 100 reads them. An
   * entry whose item was deleted meanwhile is left out.
   */
  async #listed<T>(listKey: string): Promise<Stored<T>[]> {
    const listed = (
      await queryAll(this.client, {
        TableName: this.table,
        ...listingQuery(listKey, { projection: 'pk, sk' }),
      })
    ).map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
    const found = new Map<string, Item>();
    // One batch at a time: a batch of this client's reads holds at most 100 keys.
    for (let start = 0; start < listed.length; start += BATCH_KEYS) {
      const batch = listed.slice(start, start + BATCH_KEYS);
      const items = await batchGetItems(this.client, this.table, batch, { consistentRead: true });
      for (const [id, item] of items) found.set(id, item);
    }
    return listed.flatMap((key) => {
      const entity = entityOf<Stored<T>>(found.get(itemKeyId(key)));
      return entity ? [entity] : [];
    });
  }

  async #query<T>(input: Omit<QueryCommandInput, 'TableName'>): Promise<Stored<T>[]> {
    const items = await queryAll(this.client, { ...input, TableName: this.table });
    return items.map((item) => entityOf<Stored<T>>(item) as Stored<T>);
  }
}
