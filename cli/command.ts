/**
 * The shape every CLI command has: its flags (which also drive parsing and help), examples, one
 * admin operation and a renderer. The operation is a call of the admin API through
 * {@link AdminApi}: in-process on the tables by default, over HTTP with `--api` — the same code
 * either way, so the JSON, the text, the error sentences and the exit codes cannot depend on how
 * the CLI connects. Commands never write to the terminal themselves, so `--json` can promise that
 * stdout holds JSON and nothing else.
 *
 * @example
 * ```ts
 * const show = defineCommand({
 *   name: 'show', summary: 'Show one user', positional: 'user',
 *   flags: { user: { type: 'string', required: true, value: 'id', description: 'User id' } },
 *   examples: ['quotagate users show usr_8k2m4q9z1x0c'],
 *   run: (api, input) => api.call<UserDetails>('GET', `/admin/v1/users/${input.id('user')}`),
 *   render: (details) => renderFields([['ID', details.user.id]]),
 * });
 * ```
 */
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import type { TableNames } from '#shared/tables/definitions.ts';
import type { AdminApi } from './admin-api-client.ts';

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** The flag may be given several times (`--map a=b --map c=d`). */
  multiple?: boolean;
  required?: boolean;
  /** Placeholder shown in help, e.g. `usd` for `--balance <usd>`. */
  value?: string;
  description: string;
  /** The value is a credential: `-` reads it from stdin, and it is scrubbed from any error text. */
  secret?: boolean;
}

export interface CommandInput {
  /** A string flag's value; for a required flag it is always present. */
  text(name: string): string;
  optionalText(name: string): string | undefined;
  /**
   * String flags as the admin API's fields: `{ apiField: 'flag-name' }` in, `{ apiField: value }`
   * out (`undefined` for a flag not given, which the JSON body then leaves out).
   */
  fields<K extends string>(names: Record<K, string>): Record<K, string | undefined>;
  /** A required flag's value as one path segment of an admin API URL (percent-encoded). */
  id(name: string): string;
  list(name: string): string[] | undefined;
  flag(name: string): boolean;
}

export interface TextStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** What the few commands that are more than one admin API call get besides it. */
export interface CommandContext {
  /** Where a command that streams (`usage export`) writes its records and its progress. */
  io: { stdout: TextStream; stderr: TextStream };
  env: Record<string, string | undefined>;
  /**
   * The tables themselves, for the recorder's repairs the admin API does not offer (`usage
   * replay-parked`); with `--api` it refuses with a usage error.
   */
  tables(): { client: SdkDocumentClient; tables: TableNames };
}

export interface Command<T = unknown> {
  name: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /**
   * A flag that may also be given as the positional argument (`users show usr_…`); several
   * positionals when the flag is `multiple`.
   */
  positional?: string;
  examples: string[];
  /** Sentences for the help page, after the flags. */
  notes?: string[];
  /** The admin operation; its result is what `--json` prints unless {@link json} says otherwise. */
  run(api: AdminApi, input: CommandInput, context: CommandContext): Promise<T>;
  /**
   * The part of the result `--json` prints, when the renderer needs more than that; `false` for a
   * command that writes its own output (records as CSV or JSON Lines), which refuses `--json`.
   */
  json?: ((result: T) => unknown) | false;
  /** The result as text for humans; empty when the command wrote its own output. */
  render(result: T, input: CommandInput): string;
}

/** Declares a command, tying its renderer's argument to what its operation returns. */
export function defineCommand<T>(command: Command<T>): Command {
  return command as Command;
}

export interface CommandGroup {
  name: string;
  summary: string;
  commands: Command[];
}

/** Raised for a command line that cannot be run as typed; the CLI exits with code 2. */
export class UsageError extends Error {
  /** The help to point at, e.g. `quotagate users create --help`. */
  readonly helpCommand: string;

  constructor(message: string, helpCommand = 'quotagate help') {
    super(message);
    this.name = 'UsageError';
    this.helpCommand = helpCommand;
  }
}
