/**
 * Step 1 of a request: who is calling. The key comes from `Authorization: Bearer` or
 * `x-api-key`, is hashed, and must name an active key of an active user whose group exists.
 */
import { hashApiKey } from '../domain/api-key-hash.ts';
import type { ApiKey, Group, Subscription, User } from '../domain/types.ts';
import { GatewayError } from '../errors.ts';
import type { ConfigDirectory } from '../store/config-store.ts';

export interface Caller {
  key: ApiKey;
  user: User;
  group: Group;
  /** The caller's subscription to the key's group, when it has one. */
  subscription: Subscription | undefined;
}

/** Longer than any key we issue; a longer value is refused before it is hashed. */
const MAX_KEY_LENGTH = 256;

/** The presented secret, or undefined when the request carries none. */
export function presentedApiKey(headers: Record<string, string | undefined>): string | undefined {
  const authorization = headers.authorization?.trim();
  if (authorization) {
    const match = /^bearer\s+(\S+)$/i.exec(authorization);
    return match?.[1] ?? '';
  }
  const apiKey = headers['x-api-key']?.trim();
  return apiKey === undefined ? undefined : apiKey;
}

/**
 * `onKey` runs once the key is known to be active, before its user and group are read: the
 * streaming route starts the reads that need only the key's group there (the sticky session),
 * so they share a round trip with the caller's records.
 */
export async function authenticate(
  headers: Record<string, string | undefined>,
  directory: ConfigDirectory,
  onKey?: (key: ApiKey) => void,
): Promise<Caller> {
  const secret = presentedApiKey(headers);
  if (secret === undefined) {
    throw GatewayError.unauthorized(
      "Missing API key: send it as 'Authorization: Bearer <key>' or in the 'x-api-key' header",
    );
  }
  if (secret === '' || secret.length > MAX_KEY_LENGTH) throw GatewayError.unauthorized();
  const key = await directory.findApiKey(hashApiKey(secret));
  if (!key) throw GatewayError.unauthorized();
  if (key.status !== 'active') throw GatewayError.unauthorized('API key is disabled');
  onKey?.(key);
  const { user, group, subscription } = await directory.getCallerRecords(key.userId, key.groupId);
  if (user?.status !== 'active' || !user) throw GatewayError.unauthorized('User account is not active');
  if (!group) throw GatewayError.forbidden('The group of this API key no longer exists');
  return { key, user, group, subscription };
}
