/**
 * How the admin store addresses a Config entity of any kind: its item key from its ref
 * ({@link EntityRefs}), its ref from the entity, its item, and how messages name it (an API key by
 * its public id, never by its hash).
 *
 * @example
 * ```ts
 * itemKeyOf('subscription', { userId: 'u_1', groupId: 'team' }); // keys.subscription('u_1', 'team')
 * describeEntity('apiKey', { hash, id: 'key_1' }); // 'API key key_1'
 * ```
 */
import type { ApiKey, Subscription } from '../../domain/types.ts';
import { type ItemKey, keys } from '../../tables/keys.ts';
import type { ConfigEntities, EntityKind, EntityRefs } from '../config-admin.ts';
import { configItems, type Item } from './config-items.ts';

/** The item key of an entity given its ref. */
export function itemKeyOf<K extends EntityKind>(kind: K, ref: EntityRefs[K]): ItemKey {
  switch (kind) {
    case 'user':
      return keys.user(ref as EntityRefs['user']);
    case 'apiKey':
      return keys.apiKey((ref as EntityRefs['apiKey']).hash);
    case 'group':
      return keys.group(ref as EntityRefs['group']);
    case 'account':
      return keys.account(ref as EntityRefs['account']);
    default: {
      const { userId, groupId } = ref as EntityRefs['subscription'];
      return keys.subscription(userId, groupId);
    }
  }
}

/** The ref an entity is addressed by, read from the entity itself. */
export function refOf<K extends EntityKind>(kind: K, entity: ConfigEntities[K]): EntityRefs[K] {
  if (kind === 'apiKey') {
    const key = entity as ApiKey;
    return { hash: key.hash, id: key.id } as EntityRefs[K];
  }
  if (kind === 'subscription') {
    const subscription = entity as Subscription;
    return { userId: subscription.userId, groupId: subscription.groupId } as EntityRefs[K];
  }
  return (entity as { id: string }).id as EntityRefs[K];
}

/** How messages name an entity; an API key by its public id, never by its hash. */
export function describeEntity<K extends EntityKind>(kind: K, ref: EntityRefs[K]): string {
  switch (kind) {
    case 'user':
      return `User ${ref as string}`;
    case 'apiKey':
      return `API key ${(ref as EntityRefs['apiKey']).id}`;
    case 'group':
      return `Group ${ref as string}`;
    case 'account':
      return `Account ${ref as string}`;
    default: {
      const { userId, groupId } = ref as EntityRefs['subscription'];
      return `The subscription of user ${userId} to group ${groupId}`;
    }
  }
}

/** The entity as its item, laid out by {@link configItems}. */
export function itemOf<K extends EntityKind>(kind: K, entity: ConfigEntities[K]): Item {
  const layout = configItems[kind] as (value: ConfigEntities[K]) => Item;
  return layout(entity);
}
