/**
 * Archived users in listings: hidden unless asked for (`?archived=include|only`,
 * `--archived include|only`). Used by the user listing and the key listing across users.
 *
 * @example
 * ```ts
 * users.filter(shownBy(parseArchivedFilter(request.query.archived)));
 * ```
 */
import type { User } from '../domain/types.ts';
import { AdminError } from './admin-error.ts';

/** Which users a listing shows: archived ones are hidden unless asked for. */
export type ArchivedFilter = 'exclude' | 'include' | 'only';

export function parseArchivedFilter(value: string | undefined): ArchivedFilter {
  if (value === undefined || value === '') return 'exclude';
  const filter = value.trim().toLowerCase();
  if (filter === 'exclude' || filter === 'include' || filter === 'only') return filter;
  throw AdminError.invalid(`archived must be exclude, include or only, got "${value.slice(0, 40)}".`);
}

/** The listing's test for one user. */
export function shownBy(filter: ArchivedFilter): (user: User) => boolean {
  if (filter === 'include') return () => true;
  return (user) => (user.archivedAt !== undefined) === (filter === 'only');
}
