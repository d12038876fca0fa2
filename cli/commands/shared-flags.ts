/**
 * Flags several command groups share, with the one reading of each.
 */
import { parseCount } from '#shared/admin/fields.ts';
import type { CommandInput, FlagSpec } from '../command.ts';

/** Optimistic locking for `set` commands: refuse the change if someone changed the item since. */
export const ifVersionFlag: Record<string, FlagSpec> = {
  'if-version': {
    type: 'string',
    value: 'n',
    description: 'Change only if the item is still at this version (see `show`)',
  },
};

export function ifVersionOf(input: CommandInput): number | undefined {
  const text = input.optionalText('if-version');
  return text === undefined ? undefined : parseCount(text, 'Version');
}
