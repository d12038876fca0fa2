/**
 * {@link AlertStore} on DynamoDB. Claims are conditional UpdateItems on the subject's Config item
 * (the user or the key), so the item's own state decides who alerts; alert records live in the
 * State table under `ALERT#<day>` / `<iso time>#<alertId>` with `expiresAt` 30 days on, like the
 * ops error records (alerts are rare: one partition per day is plenty). A record whose claim is
 * not yet known to be won carries it as `pendingClaim`; listings for people leave those out.
 *
 * @example
 * ```ts
 * const store = new DynamoAlertStore(documentClient(), settings.tables);
 * const recent = await store.list({ fromMs: Date.now() - 86_400_000, toMs: Date.now(), limit: 50 });
 * ```
 */

import type { Alert } from '../../alerts/alert.ts';
import type { ApiKey, RequestDefaults, User } from '../../domain/types.ts';
import type { TableNames } from '../../tables/definitions.ts';
import { type ItemKey, keys, LIST } from '../../tables/keys.ts';
import { daysBetween } from '../../usage/export.ts';
import {
  ALERT_DEFAULTS_TTL_MS,
  type AlertAdminStore,
  type AlertClaim,
  type AlertDefaults,
  type AlertQuery,
  type AlertStore,
  type ChargedSubjects,
  type UnpublishedAlert,
} from '../alert-store.ts';
import type { ChargedItems } from '../usage-ledger.ts';
import { CLAIM_REF_ATTRIBUTE, claimSubject, claimWrite } from './alert-claims.ts';
import { batchGetItems, itemKeyId } from './batch-get.ts';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from './commands.ts';
import { conditionHeld } from './condition-failure.ts';
import { entityOf, listingQuery } from './config-items.ts';
import type { DocumentClient } from './document-client.ts';
import { queryAll, queryPages } from './query-pages.ts';
import { DynamoUsageReader } from './usage-reader.ts';
import { editOf, updateExpressionOf } from './versioned-update.ts';

const ALERT_TTL_SECONDS = 30 * 86_400;
const STORAGE_ATTRIBUTES = ['pk', 'sk', 'expiresAt', 'pendingClaim'] as const;
const PENDING = 'pendingClaim';

function alertOf(item: Record<string, unknown>): Alert {
  const alert: Record<string, unknown> = { ...item };
  for (const attribute of STORAGE_ATTRIBUTES) delete alert[attribute];
  return alert as unknown as Alert;
}

const DEFAULT_FIELDS = ['lowBalanceAlertNano', 'keyAlertPercent'] as const;

export class DynamoAlertStore implements AlertStore, AlertAdminStore {
  readonly #client: DocumentClient;
  readonly #tables: Pick<TableNames, 'config' | 'state' | 'usage'>;
  readonly #usage: DynamoUsageReader;
  readonly #now: () => number;
  /** The request defaults as last read, for {@link ALERT_DEFAULTS_TTL_MS}. */
  #defaults: { value: RequestDefaults; until: number } | undefined;

  constructor(
    client: DocumentClient,
    tables: Pick<TableNames, 'config' | 'state' | 'usage'>,
    options: { now?: () => number } = {},
  ) {
    this.#client = client;
    this.#tables = tables;
    this.#usage = new DynamoUsageReader(client, tables);
    this.#now = options.now ?? Date.now;
  }

  async readCharged(
    subject: { userId: string; apiKeyId: string; apiKeyHash?: string | undefined },
    wanted: { user: boolean },
    known: ChargedItems = {},
  ): Promise<ChargedSubjects> {
    const now = this.#now();
    const hash = known.key
      ? undefined
      : (subject.apiKeyHash ?? (await this.#keyHashOf(subject.userId, subject.apiKeyId)));
    const keyKey = hash ? keys.apiKey(hash) : undefined;
    const userKey = wanted.user && !known.user ? keys.user(subject.userId) : undefined;
    const cached = this.#defaults && this.#defaults.until > now ? this.#defaults.value : undefined;
    const defaultsKey = cached ? undefined : keys.requestDefaults();
    const wantedKeys = [keyKey, userKey, defaultsKey].filter((key) => key !== undefined);
    const found =
      wantedKeys.length === 0
        ? new Map<string, Record<string, unknown>>()
        : await batchGetItems(this.#client, this.#tables.config, wantedKeys, { consistentRead: true });
    const of = <T>(key: ItemKey | undefined) => (key ? entityOf<T>(found.get(itemKeyId(key))) : undefined);
    const defaults = cached ?? of<RequestDefaults>(defaultsKey) ?? {};
    if (!cached) this.#defaults = { value: defaults, until: now + ALERT_DEFAULTS_TTL_MS };
    const user = wanted.user ? (known.user ?? of<User>(userKey)) : undefined;
    const key = known.key ?? of<ApiKey>(keyKey);
    return { ...(user ? { user } : {}), ...(key ? { key } : {}), defaults };
  }

  /** Older events carry no hash: the key is found by owner and id through the Config `listing` index. */
  async #keyHashOf(userId: string, keyId: string): Promise<string | undefined> {
    const items = await queryAll(this.#client, {
      TableName: this.#tables.config,
      ...listingQuery(LIST.keysOf(userId), { id: keyId }),
    });
    return items[0]?.hash as string | undefined;
  }

  async keySpend(keyId: string, fromDay: string, toDay: string): Promise<number> {
    const days = await this.#usage.dailyAggregates('key', keyId, fromDay, toDay);
    return days.reduce((sum, day) => sum + (day.billedNano ?? 0), 0);
  }

  claim(claim: AlertClaim, alert: Alert): Promise<boolean> {
    const write = claimWrite(claim, recordRef(alert));
    return conditionHeld(() =>
      this.#client.send(
        new UpdateCommand({
          TableName: this.#tables.config,
          Key: write.key,
          UpdateExpression: write.update,
          ConditionExpression: write.condition,
          ExpressionAttributeNames: write.names,
          ExpressionAttributeValues: write.values,
        }),
      ),
    );
  }

  async heldBy(claim: AlertClaim, alert: Alert): Promise<boolean> {
    const attribute = CLAIM_REF_ATTRIBUTE[claim.kind];
    const { Item: item } = await this.#client.send(
      new GetCommand({
        TableName: this.#tables.config,
        Key: claimSubject(claim),
        ProjectionExpression: '#ref',
        ExpressionAttributeNames: { '#ref': attribute },
        ConsistentRead: true,
      }),
    );
    return item?.[attribute] === recordRef(alert);
  }

  async putPending(alert: Alert, claim: AlertClaim): Promise<void> {
    await conditionHeld(() =>
      this.#client.send(
        new PutCommand({
          TableName: this.#tables.state,
          Item: {
            ...recordKey(alert),
            ...alert,
            [PENDING]: claim,
            // `kind` is the alert's own field (low_balance, …); the item says what it is by its key.
            expiresAt: Math.floor(Date.parse(alert.at) / 1000) + ALERT_TTL_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async confirm(alert: Alert): Promise<void> {
    await conditionHeld(() =>
      this.#client.send(
        new UpdateCommand({
          TableName: this.#tables.state,
          Key: recordKey(alert),
          UpdateExpression: 'REMOVE #pending',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#pending': PENDING },
        }),
      ),
    );
  }

  async discard(alert: Alert): Promise<void> {
    await conditionHeld(() =>
      this.#client.send(
        new DeleteCommand({
          TableName: this.#tables.state,
          Key: recordKey(alert),
          ConditionExpression: 'attribute_exists(#pending)',
          ExpressionAttributeNames: { '#pending': PENDING },
        }),
      ),
    );
  }

  async markPublished(alert: Alert, publishedAt: string): Promise<void> {
    await conditionHeld(() =>
      this.#client.send(
        new UpdateCommand({
          TableName: this.#tables.state,
          Key: recordKey(alert),
          UpdateExpression: 'SET #published = if_not_exists(#published, :at)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#published': 'publishedAt' },
          ExpressionAttributeValues: { ':at': publishedAt },
        }),
      ),
    );
  }

  async list(query: AlertQuery): Promise<Alert[]> {
    const items = await this.#records(query, 'attribute_not_exists(#pending)', { '#pending': PENDING });
    return items.map(alertOf);
  }

  async listUnpublished(query: AlertQuery): Promise<UnpublishedAlert[]> {
    const items = await this.#records(query, 'attribute_not_exists(#published)', {
      '#published': 'publishedAt',
    });
    return items.map((item) => ({
      alert: alertOf(item),
      ...(item[PENDING] ? { pendingClaim: item[PENDING] as AlertClaim } : {}),
    }));
  }

  /** The records of the query's time range matching `filter`, newest first. */
  async #records(
    query: AlertQuery,
    filter: string,
    names: Record<string, string>,
  ): Promise<Record<string, unknown>[]> {
    const fromKey = new Date(query.fromMs).toISOString();
    const toKey = `${new Date(query.toMs - 1).toISOString()}#~`;
    const found: Record<string, unknown>[] = [];
    for (const day of daysBetween(query.fromMs, query.toMs).reverse()) {
      const pages = queryPages(this.#client, {
        TableName: this.#tables.state,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ScanIndexForward: false,
        FilterExpression: filter,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':pk': keys.alertPartition(day), ':from': fromKey, ':to': toKey },
      });
      for await (const page of pages) {
        found.push(...page);
        if (found.length >= query.limit) return found.slice(0, query.limit);
      }
    }
    return found;
  }

  async readDefaults(): Promise<AlertDefaults> {
    const { Item: item } = await this.#client.send(
      new GetCommand({ TableName: this.#tables.config, Key: keys.requestDefaults(), ConsistentRead: true }),
    );
    return pickDefaults(item ?? {});
  }

  async writeDefaults(changes: Partial<AlertDefaults>): Promise<AlertDefaults> {
    // A field given as undefined is removed; one not given at all is left as it is.
    const given = DEFAULT_FIELDS.filter((field) => field in changes);
    if (given.length === 0) return this.readDefaults();
    const edit = editOf(Object.fromEntries(given.map((field) => [field, changes[field]])));
    const { Attributes: attributes } = await this.#client.send(
      new UpdateCommand({
        TableName: this.#tables.config,
        Key: keys.requestDefaults(),
        UpdateExpression: updateExpressionOf(edit.sets, edit.removes),
        ExpressionAttributeNames: edit.names,
        ...(edit.sets.length ? { ExpressionAttributeValues: edit.values } : {}),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return pickDefaults(attributes ?? {});
  }
}

/** The alert record's key. */
function recordKey(alert: Alert): ItemKey {
  return keys.alert(alert.at.slice(0, 10), alert.at, alert.alertId);
}

/** How a claim names the record that took it: the record's sort key, unique per record. */
function recordRef(alert: Alert): string {
  return recordKey(alert).sk;
}

function pickDefaults(item: Record<string, unknown>): AlertDefaults {
  const defaults: AlertDefaults = {};
  for (const field of DEFAULT_FIELDS) {
    if (typeof item[field] === 'number') defaults[field] = item[field];
  }
  return defaults;
}
