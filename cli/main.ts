/**
 * The admin CLI: `quotagate <group> <command> [flags]`. {@link runCli} is the whole program as a
 * function of argv and I/O, so tests run it in-process against dynalite; the `bin/quotagate.mjs`
 * launcher and `npm run quotagate` call it with the real process streams.
 *
 * Exit codes: 0 done, 1 the operation failed (not found, conflict, unreachable store), 2 the
 * command line or a value in it is wrong. stdout carries only the result (JSON with `--json`);
 * errors are one or two sentences on stderr, never a stack trace, never a secret.
 *
 * @example
 * ```ts
 * const code = await runCli(['users', 'list', '--json'], { stdout: process.stdout, stderr: process.stderr });
 * ```
 */

import { readFileSync } from 'node:fs';
import { type AdminApi, httpTransport, inProcessTransport } from './admin-api-client.ts';
import {
  type Command,
  type CommandContext,
  type CommandGroup,
  type CommandInput,
  type TextStream,
  UsageError,
} from './command.ts';
import { accountsCommands } from './commands/accounts.ts';
import { alertsCommands } from './commands/alerts.ts';
import { runConsole } from './commands/console.ts';
import { groupsCommands } from './commands/groups.ts';
import { keysCommands } from './commands/keys.ts';
import { opsCommands } from './commands/ops.ts';
import { pricesCommands } from './commands/prices.ts';
import { subscriptionsCommands } from './commands/subscriptions.ts';
import { usageCommands } from './commands/usage.ts';
import { usersCommands } from './commands/users.ts';
import { describeFailure } from './failure.ts';
import { allFlagsOf, type FlagValues, parseCommandLine } from './flags.ts';
import { renderCommandHelp, renderGroupHelp, renderOverview } from './help.ts';
import { createTargetClient, resolveApiTarget, resolveTarget, type Target } from './target.ts';

export interface CliIo {
  stdout: TextStream;
  stderr: TextStream;
  /** Defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Where `-` secrets are read from; defaults to `process.stdin`. */
  stdin?: AsyncIterable<string | Uint8Array>;
  /** The clock of the admin API run in this process ("today", "this month"); defaults to `Date.now`. */
  now?: () => number;
}

export const COMMAND_GROUPS: CommandGroup[] = [
  usersCommands,
  keysCommands,
  groupsCommands,
  accountsCommands,
  subscriptionsCommands,
  pricesCommands,
  opsCommands,
  usageCommands,
  alertsCommands,
];

/** `console` serves until stopped, so it runs on its own (see cli/commands/console.ts). */
const CONSOLE_GROUP = {
  name: 'console',
  summary: 'Serve the web console of a deployed stack on 127.0.0.1 (npm start serves the local one)',
};

/** The package's version, for `quotagate --version`. */
export function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

const HELP_WORDS = new Set(['help', '--help', '-h']);

/** A word the user typed, echoed only if it cannot be anything but a mistyped command name. */
function echo(word: string): string {
  return /^[a-z][a-z-]{0,30}$/.test(word) ? ` "${word}"` : '';
}

function findGroup(name: string): CommandGroup {
  const group = COMMAND_GROUPS.find((candidate) => candidate.name === name);
  if (!group) throw new UsageError(`Unknown command${echo(name)}.`);
  return group;
}

/** Help for `help`, `help <group>`, `help <group> <command>`. */
function helpFor(words: string[]): string {
  const [groupName, commandName] = words;
  if (groupName === undefined) return renderOverview([...COMMAND_GROUPS, CONSOLE_GROUP]);
  const group = findGroup(groupName);
  if (commandName === undefined) return renderGroupHelp(group);
  const command = group.commands.find((candidate) => candidate.name === commandName);
  if (!command) {
    throw new UsageError(
      `quotagate ${group.name} has no command${echo(commandName)}.`,
      `quotagate ${group.name} --help`,
    );
  }
  return renderCommandHelp(group, command);
}

async function readAll(stdin: AsyncIterable<string | Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stdin) {
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  }
  return (text + decoder.decode()).trim();
}

/**
 * Replaces a credential flag given as `-` with stdin, and returns every credential value so
 * error text can be scrubbed of them.
 */
async function takeSecrets(command: Command, values: FlagValues, io: CliIo, path: string): Promise<string[]> {
  const secretFlags = Object.entries(allFlagsOf(command))
    .filter(([name, spec]) => spec.secret && typeof values[name] === 'string')
    .map(([name]) => name);
  const fromStdin = secretFlags.filter((name) => values[name] === '-');
  if (fromStdin.length > 1) {
    throw new UsageError(
      `Only one flag can be read from stdin ("-"); got ${fromStdin.length}.`,
      `${path} --help`,
    );
  }
  for (const name of fromStdin) values[name] = await readAll(io.stdin ?? process.stdin);
  // Very short values would scrub innocent words from messages; no real credential is that short.
  return secretFlags.map((name) => values[name] as string).filter((secret) => secret.length >= 4);
}

function commandInput(values: FlagValues): CommandInput {
  const optionalText = (name: string) => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const text = (name: string) => {
    const value = optionalText(name);
    if (value === undefined) throw new UsageError(`The flag --${name} is required.`);
    return value;
  };
  return {
    optionalText,
    text,
    id: (name) => encodeURIComponent(text(name)),
    fields: <K extends string>(names: Record<K, string>) =>
      Object.fromEntries(
        Object.entries<string>(names).map(([field, flag]) => [field, optionalText(flag)]),
      ) as Record<K, string | undefined>,
    list(name) {
      const value = values[name];
      return Array.isArray(value) ? value.map(String) : undefined;
    },
    flag: (name) => values[name] === true,
  };
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const env = io.env ?? process.env;
  const secrets: string[] = [];
  let target: Target | undefined;
  let client: ReturnType<typeof createTargetClient> | undefined;
  try {
    const [first, second, ...rest] = argv;
    if (first === undefined) {
      io.stderr.write(`${renderOverview([...COMMAND_GROUPS, CONSOLE_GROUP])}\n`);
      return 2;
    }
    if (first === '--version' || first === 'version') {
      io.stdout.write(
        `${argv.includes('--json') ? JSON.stringify({ version: packageVersion() }) : `quotagate ${packageVersion()}`}\n`,
      );
      return 0;
    }
    if (first === CONSOLE_GROUP.name) return await runConsole(argv.slice(1), { stdout: io.stdout, env });
    if (HELP_WORDS.has(first) && second === CONSOLE_GROUP.name)
      return await runConsole(['--help'], { stdout: io.stdout, env });
    if (HELP_WORDS.has(first)) {
      io.stdout.write(`${helpFor(argv.slice(1))}\n`);
      return 0;
    }
    const group = findGroup(first);
    if (second === undefined || HELP_WORDS.has(second)) {
      (second === undefined ? io.stderr : io.stdout).write(`${renderGroupHelp(group)}\n`);
      return second === undefined ? 2 : 0;
    }
    const command = group.commands.find((candidate) => candidate.name === second);
    if (!command) {
      throw new UsageError(
        `quotagate ${group.name} has no command${echo(second)}.`,
        `quotagate ${group.name} --help`,
      );
    }
    const path = `quotagate ${group.name} ${command.name}`;
    const parsed = parseCommandLine(command, path, rest);
    if (parsed.help) {
      io.stdout.write(`${renderCommandHelp(group, command)}\n`);
      return 0;
    }
    secrets.push(...(await takeSecrets(command, parsed.values, io, path)));
    if (parsed.json && command.json === false) {
      throw new UsageError(
        `${path} writes CSV or JSON Lines (--format); it has no --json.`,
        `${path} --help`,
      );
    }
    const apiTarget = resolveApiTarget(parsed.values, env);
    let api: AdminApi;
    if (apiTarget) {
      if (apiTarget.token) secrets.push(apiTarget.token);
      api = httpTransport(apiTarget);
    } else {
      target = resolveTarget(parsed.values, env);
      // Credentials written to AWS are sealed with the stage's KMS key (see shared/secrets/).
      if (target.secretsKeyId) {
        process.env.QG_SECRETS_KEY_ID = target.secretsKeyId;
        process.env.AWS_REGION ??= target.region;
      }
      client = createTargetClient(target);
      api = inProcessTransport(client, target.tables, io.now);
    }
    const tables = target && client ? { client, tables: target.tables } : undefined;
    const context: CommandContext = {
      io,
      env,
      tables() {
        if (!tables)
          throw new UsageError(`${path} works on the tables only; leave out --api.`, `${path} --help`);
        return tables;
      },
    };
    const input = commandInput(parsed.values);
    const result = await command.run(api, input, context);
    const shown = parsed.json
      ? JSON.stringify(command.json ? command.json(result) : result, null, 2)
      : command.render(result, input);
    if (shown !== '') io.stdout.write(`${shown}\n`);
    return 0;
  } catch (error) {
    const failure = describeFailure(error, target);
    const scrubbed = secrets.reduce(
      (message, secret) => message.replaceAll(secret, '[redacted]'),
      failure.message,
    );
    io.stderr.write(`Error: ${scrubbed}\n`);
    return failure.exitCode;
  } finally {
    client?.destroy();
  }
}

if (import.meta.main) {
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stdin: process.stdin,
  });
}
