/**
 * {@link ConfigAdmin} on the Config table: the per-entity writes, each changing one item. Items
 * are laid out by `config-items.ts` and keyed by `tables/keys.ts` (addressed by kind and ref in
 * `config-entity-refs.ts`), so the gateway reads exactly what the admin wrote. Every write is
 * conditional: inserts on `attribute_not_exists(pk)`, updates and deletes on `attribute_exists(pk)`
 * plus, when asked, the item's `version` (`versioned-update.ts`); balance changes are
 * `balance-operations.ts` and the listings, which read many items at once, `config-listings.ts`.
 *
 * @example
 * ```ts
 * const store = new DynamoConfigAdmin(documentClient(), 'quotagate-local-config');
 * await store.insert('group', { id: 'team', name: 'Team', rateMultiplier: 1, billingMode: 'balance', createdAt });
 * ```
 */

import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { proxyEndpointOf } from '../../admin/account-egress.ts';
import { AdminError } from '../../admin/admin-error.ts';
import type { Account, ApiKey, Group, Subscription, User } from '../../domain/types.ts';
import {
  accountSecretContext,
  SECRET_CREDENTIAL_FIELDS,
  sealCredentials,
} from '../../secrets/account-credentials.ts';
import { isSealed, type SecretSealer } from '../../secrets/secret-sealer.ts';
import { keys } from '../../tables/keys.ts';
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
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from './commands.ts';
import { conditionHeld, whenConditionHeld } from './condition-failure.ts';
import { describeEntity, itemKeyOf, itemOf, refOf } from './config-entity-refs.ts';
import { BUMP_CREDENTIALS_VERSION, CREDENTIALS_VERSION_NAMES, entityOf } from './config-items.ts';
import { DynamoConfigListings } from './config-listings.ts';
import type { DocumentClient } from './document-client.ts';
import { DynamoSealingStore } from './sealing-store.ts';
import { type AttributeEdit, editOf, versionCondition, versionedUpdateInput } from './versioned-update.ts';

export class DynamoConfigAdmin extends DynamoSealingStore implements ConfigAdmin {
  readonly #balances: DynamoBalanceOperations;
  readonly #listings: DynamoConfigListings;

  /** `sealer`: what seals account credentials on write (default: the process's, from its environment). */
  constructor(client: DocumentClient, configTableName: string, sealer?: () => SecretSealer) {
    super(client, configTableName, sealer);
    this.#balances = new DynamoBalanceOperations(client, configTableName);
    this.#listings = new DynamoConfigListings(client, configTableName);
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
    return this.#listings.listUsers();
  }

  listGroups(): Promise<Stored<Group>[]> {
    return this.#listings.listGroups();
  }

  listAccounts(): Promise<Stored<Account>[]> {
    return this.#listings.listAccounts();
  }

  listApiKeys(userId: string): Promise<Stored<ApiKey>[]> {
    return this.#listings.listApiKeys(userId);
  }

  async findApiKeyById(id: string): Promise<Stored<ApiKey> | undefined> {
    const listed = await this.#listings.listedApiKey(id);
    // The index lags a moment behind a write: the caller gets the item itself, read consistently.
    return listed && this.get('apiKey', { hash: listed.hash, id: listed.id });
  }

  listSubscriptions(userId?: string): Promise<Stored<Subscription>[]> {
    return this.#listings.listSubscriptions(userId);
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
}
