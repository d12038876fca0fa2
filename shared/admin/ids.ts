/**
 * Readable, prefixed random ids (`usr_…`, `key_…`, `grp_…`, `acc_…`): the prefix says what an id
 * names when it shows up in a log or a usage export. Twelve characters of lower-case Crockford
 * base32 carry 60 random bits, plenty for a config table that holds thousands of items.
 *
 * @example
 * ```ts
 * newId('user'); // 'usr_8k2m4q9z1x0c'
 * ```
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

const PREFIXES = { user: 'usr', apiKey: 'key', group: 'grp', account: 'acc' } as const;

export type IdKind = keyof typeof PREFIXES;

/** The id the default group always has; keys and accounts land in it when no group is named. */
export const DEFAULT_GROUP_ID = 'default';

export function newId(kind: IdKind): string {
  // 32 symbols, so the low five bits of each byte pick one without bias.
  const symbols = [...randomBytes(12)].map((byte) => ALPHABET[byte & 31]).join('');
  return `${PREFIXES[kind]}_${symbols}`;
}
