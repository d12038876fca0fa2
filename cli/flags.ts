/**
 * Turns a command's argv into flag values with node:util `parseArgs` (strict: unknown flags and
 * stray arguments are usage errors), then checks required flags. Node's own messages are
 * rewritten as short sentences that name the command's help.
 *
 * Why not commander: with the flags declared once per command, parsing is this file and help is
 * help.ts, both small. Commander would bring its own error sentences, exit code 1 for a bad
 * command line and its own help layout, where the CLI promises exit 2, one sentence naming the
 * command's `--help`, and stdin secrets that are scrubbed from errors; overriding all that would
 * add code, not remove it.
 */
import { parseArgs } from 'node:util';
import type { Command, FlagSpec } from './command.ts';
import { UsageError } from './command.ts';
import { GLOBAL_FLAGS } from './global-flags.ts';

export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface ParsedCommandLine {
  values: FlagValues;
  help: boolean;
  json: boolean;
}

/** A command's flags plus the global ones, as help and the parser see them. */
export function allFlagsOf(command: Pick<Command, 'flags'>): Record<string, FlagSpec> {
  return { ...command.flags, ...GLOBAL_FLAGS };
}

export function parseCommandLine(command: Command, path: string, args: string[]): ParsedCommandLine {
  const helpCommand = `${path} --help`;
  const specs = allFlagsOf(command);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: Object.fromEntries(
        Object.entries(specs).map(([name, spec]) => [
          name,
          { type: spec.type, multiple: spec.multiple ?? false },
        ]),
      ),
      strict: true,
      allowPositionals: command.positional !== undefined,
    });
  } catch (error) {
    throw new UsageError(rephrase(error, path), helpCommand);
  }
  const values: FlagValues = { ...parsed.values };
  const help = values.help === true;
  const positional = command.positional;
  if (parsed.positionals.length > 0 && positional) {
    const given = values[positional];
    if (specs[positional]?.multiple) {
      values[positional] = [...(Array.isArray(given) ? given : []), ...parsed.positionals];
    } else if (parsed.positionals.length > 1 || given !== undefined) {
      throw new UsageError(`${path} takes one ${positional} id, given once.`, helpCommand);
    } else {
      values[positional] = parsed.positionals[0];
    }
  }
  if (!help) {
    const missing = Object.entries(command.flags)
      .filter(([name, spec]) => spec.required && values[name] === undefined)
      .map(([name]) => `--${name}`);
    if (missing.length > 0) {
      const noun = missing.length === 1 ? 'flag' : 'flags';
      throw new UsageError(`${path} needs the ${noun} ${missing.join(', ')}.`, helpCommand);
    }
  }
  return { values, help, json: values.json === true };
}

function rephrase(error: unknown, path: string): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  const flag = /'(--?[\w-]+)/.exec(message)?.[1] ?? 'a flag';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `${path} has no flag ${flag}.`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      // The stray word is not echoed: it may be a secret that lost its flag.
      return `${path} takes no arguments besides flags, but got an extra word.`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (message.includes('does not take an argument')) return `Flag ${flag} takes no value.`;
      return `Flag ${flag} needs a value (write ${flag}=-5 for a value that starts with "-").`;
    default:
      return `Cannot read the command line: ${message.split('\n')[0]}`;
  }
}
