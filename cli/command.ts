/**
 * The shape every CLI command has: its flags (which also drive parsing and help), an example,
 * and a `run` that returns both a machine-readable value and a text for humans. Commands never
 * write to the terminal themselves, so `--json` can promise that stdout holds JSON and nothing
 * else.
 *
 * @example
 * ```ts
 * const show: Command = {
 *   name: 'show', summary: 'Show one user', positional: 'user',
 *   flags: { user: { type: 'string', required: true, value: 'id', description: 'User id' } },
 *   examples: ['quotagate users show usr_8k2m4q9z1x0c'],
 *   run: async (input) => { const user = await getUser(await input.store(), input.text('user')); … },
 * };
 * ```
 */
import type { ConfigAdmin } from '#shared/admin/config-admin.ts';
import type { AdminApiTransport } from './admin-api-client.ts';

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
  list(name: string): string[] | undefined;
  flag(name: string): boolean;
  /** The admin storage, connected on first use so help and usage errors never touch the network. */
  store(): Promise<ConfigAdmin>;
  /**
   * The admin API: over HTTP with `--api`, else in-process on the same tables as `store()`.
   * Reports (usage, ops errors, account health) read through it in both modes.
   */
  adminApi(): Promise<AdminApiTransport>;
}

export interface CommandOutput {
  json: unknown;
  text: string;
}

export interface Command {
  name: string;
  summary: string;
  flags: Record<string, FlagSpec>;
  /** A flag that may also be given as the single positional argument (`users show usr_…`). */
  positional?: string;
  examples: string[];
  run(input: CommandInput): Promise<CommandOutput>;
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
