/**
 * Step 1 of a request: who is calling. The key comes from `Authorization: Bearer` or
 * `x-api-key`, is hashed, and must name an active key of an active user whose group exists; a
 * key with an IP allow-list is refused (403 `IP_NOT_ALLOWED`) from any other client address
 * before anything else is read for it.
 */
import { hashApiKey } from '../domain/api-key-hash.ts';
import { ipAllowed } from '../domain/ip-allow-list.ts';
import type { ApiKey, Group, Subscription, User } from '../domain/types.ts';
import { GatewayError } from '../errors.ts';
import type { ConfigDirectory } from '../store/config-directory.ts';
import type { GatewayRequest } from './http.ts';

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
 * streaming route starts the reads that need only the key's group there (the sticky session, a
 * new instance's credentials of the group), so they share a round trip with the caller's
 * records. When it answers a promise, the caller's records are asked for once it settles.
 */
export async function authenticate(
  { headers, sourceIp }: Pick<GatewayRequest, 'headers' | 'sourceIp'>,
  directory: ConfigDirectory,
  onKey?: (key: ApiKey) => Promise<void> | undefined,
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
  // The address is the connection's (Function URL `sourceIp`), never a header the client sets.
  if (key.allowedIps && key.allowedIps.length > 0 && !ipAllowed(key.allowedIps, sourceIp)) {
    throw GatewayError.forbidden(
      `Access from IP ${sourceIp ?? 'unknown'} is not allowed for this API key`,
      'IP_NOT_ALLOWED',
    );
  }
  const asked = onKey?.(key);
  if (asked) await asked;
  const { user, group, subscription } = await directory.getCallerRecords(key.userId, key.groupId);
  if (user?.status !== 'active' || !user) throw GatewayError.unauthorized('User account is not active');
  if (!group) throw GatewayError.forbidden('The group of this API key no longer exists');
  return { key, user, group, subscription };
}
