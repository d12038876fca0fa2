/**
 * A key's requests-per-minute limit: each request of a key with `requestsPerMinute` counts
 * itself in the key's counter of the current UTC minute (one conditional update, taken in the
 * user slot's wave), and the one past the limit is refused with 429 `rate_limit_error`
 * `API_KEY_RATE_LIMITED` and a `Retry-After` that ends with the minute. A refused request counts
 * nothing, holds no slot and is never charged. Windows are fixed minutes, so a key may make up
 * to twice its limit across a minute boundary, never more than its limit within one minute.
 *
 * @example
 * ```ts
 * await takeRequestAllowance(deps, caller.key); // resolves, or rejects with the 429
 * ```
 */
import type { ApiKey } from '../domain/types.ts';
import { GatewayError } from '../errors.ts';
import { MINUTE_MS } from '../store/request-rates.ts';
import type { GatewayDeps } from './deps.ts';

export async function takeRequestAllowance(
  deps: Pick<GatewayDeps, 'requestRates' | 'now'>,
  key: ApiKey,
): Promise<void> {
  const limit = key.requestsPerMinute;
  if (limit === undefined) return;
  const now = deps.now();
  if (await deps.requestRates.take(key.id, limit, now)) return;
  throw GatewayError.rateLimited(
    `Rate limit reached: this API key allows ${limit} requests per minute`,
    'API_KEY_RATE_LIMITED',
  ).retryAfter((MINUTE_MS - (now % MINUTE_MS)) / 1000);
}
