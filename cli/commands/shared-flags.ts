/**
 * Flags several command groups share, with the one reading of each.
 */
import { parseCount } from '#shared/admin/fields.ts';
import type { ApiCallOptions } from '../admin-api-client.ts';
import type { CommandInput, FlagSpec } from '../command.ts';

/** A required flag naming one item by its id; commands on one item also take it as their positional. */
export function idFlag(description: string): FlagSpec {
  return { type: 'string', required: true, value: 'id', description };
}

/** `--user`, as the users and subscriptions commands name one. */
export const userFlag = idFlag('User id (usr_…)');

/** `--group`, as the groups and accounts commands name one. */
export const groupFlag = idFlag('Group id');

/** Optimistic locking for `set` commands: refuse the change if someone changed the item since. */
export const ifVersionFlag: Record<string, FlagSpec> = {
  'if-version': {
    type: 'string',
    value: 'n',
    description: 'Change only if the item is still at this version (see `show`)',
  },
};

/** `--if-version` as the call's `If-Match`; nothing when the flag is not given. */
export function versionPin(input: CommandInput): Pick<ApiCallOptions, 'ifVersion'> {
  const text = input.optionalText('if-version');
  return text === undefined ? {} : { ifVersion: parseCount(text, 'Version') };
}

/** Archived users (and their keys) are hidden from listings unless this asks for them. */
export const archivedFlag: FlagSpec = {
  type: 'string',
  value: 'which',
  description: 'Archived users: exclude (default), include or only',
};
