/**
 * Commands several groups declare alike, written once so they read, answer and fail the same way
 * in every group: `list` of a whole collection, and `delete` of one item under a version pin.
 *
 * @example
 * ```ts
 * listAllCommand({ group: 'prices', path: '/admin/v1/prices', summary: 'List the overrides', render });
 * deleteCommand({ noun: 'group', flag: groupFlag, path: groupPath, summary, example });
 * ```
 */
import { type Command, type CommandInput, defineCommand, type FlagSpec } from '../command.ts';
import { ifVersionFlag, versionPin } from './shared-flags.ts';

/** `quotagate <group> list`: every item of the collection at `path`, no flags, as `render` shows it. */
export function listAllCommand<T>(spec: {
  group: string;
  path: string;
  summary: string;
  render: (items: T[]) => string;
}): Command {
  return defineCommand<T[]>({
    name: 'list',
    summary: spec.summary,
    flags: {},
    examples: [`quotagate ${spec.group} list`],
    run: (api) => api.list(spec.path),
    render: spec.render,
  });
}

/**
 * `quotagate <group> delete <id>`: deletes the item at `path` (refused unless still at
 * `--if-version` when given). Usage records name items by id, so they outlive the item.
 */
export function deleteCommand(spec: {
  /** What the item is called: the flag's name and the word in the answer. */
  noun: string;
  flag: FlagSpec;
  path: (input: CommandInput) => string;
  summary: string;
  example: string;
}): Command {
  return defineCommand<{ id: string }>({
    name: 'delete',
    summary: spec.summary,
    flags: { [spec.noun]: spec.flag, ...ifVersionFlag },
    positional: spec.noun,
    examples: [spec.example],
    run: (api, input) => api.call('DELETE', spec.path(input), versionPin(input)),
    render: (result) => `Deleted ${spec.noun} ${result.id}; its usage history stays.`,
  });
}
