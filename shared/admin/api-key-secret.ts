/**
 * Client API key secrets. A secret is shown to the admin once and never stored: the Config table
 * keeps its SHA-256 hex (the item key the gateway looks up) and a short prefix to recognise the
 * key in listings.
 *
 * @example
 * ```ts
 * const secret = generateApiKeySecret(); // 'sk-qg-' + 43 base64url characters
 * hashApiKey(secret); // the stored form, what the gateway computes from the Authorization header
 * ```
 */
import { randomBytes } from 'node:crypto';

export const API_KEY_SECRET_PREFIX = 'sk-qg-';

/** Characters of the secret kept for listings: the fixed prefix and six random characters. */
const LISTING_PREFIX_LENGTH = API_KEY_SECRET_PREFIX.length + 6;

/** `sk-qg-` followed by 256 random bits in base64url (43 characters). */
export function generateApiKeySecret(): string {
  return `${API_KEY_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function listingPrefixOf(secret: string): string {
  return secret.slice(0, LISTING_PREFIX_LENGTH);
}
