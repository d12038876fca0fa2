import { createHash } from 'node:crypto';

/**
 * The only form in which a platform key is stored or looked up: SHA-256 hex of the secret.
 * Keys are never stored raw: a leaked Config table leaks no usable key.
 *
 * @example
 * ```ts
 * const item = await directory.findApiKey(hashApiKey('sk-qg-…'));
 * ```
 */
export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
