/**
 * Help texts, generated from the command definitions so they cannot drift from what the parser
 * accepts: the overview (`quotagate help`), a group (`quotagate users --help`) and a command
 * (`quotagate users create --help`).
 */
import type { Command, CommandGroup, FlagSpec } from './command.ts';
import { GLOBAL_FLAGS } from './global-flags.ts';
import { renderTable } from './output.ts';

function flagUsage(name: string, spec: FlagSpec): string {
  const value = spec.type === 'string' ? ` <${spec.value ?? 'value'}>` : '';
  return `--${name}${value}${spec.multiple ? ' …' : ''}`;
}

function flagRows(flags: Record<string, FlagSpec>): string[][] {
  return Object.entries(flags).map(([name, spec]) => [
    `  ${flagUsage(name, spec)}`,
    `${spec.description}${spec.required ? ' (required)' : ''}`,
  ]);
}

function untitled(table: string): string {
  return table.split('\n').slice(1).join('\n');
}

export function renderOverview(groups: Pick<CommandGroup, 'name' | 'summary'>[]): string {
  const rows = groups.map((group) => [`  ${group.name}`, group.summary]);
  return [
    'quotagate: administer users, API keys, groups, upstream accounts and subscriptions.',
    '',
    'Usage: quotagate <group> <command> [flags]',
    '',
    'Groups:',
    untitled(renderTable(['', ''], rows)),
    '',
    'Run `quotagate <group> --help` for its commands, `quotagate <group> <command> --help` for flags.',
    '',
    'Every command takes:',
    untitled(renderTable(['', ''], flagRows(GLOBAL_FLAGS))),
    '',
    'By default the CLI talks to the local stack started by `npm start` (http://127.0.0.1:8788, or the port in QG_DYNALITE_PORT).',
    'For AWS give --region with --stage or table names, or --api with the admin API URL (SigV4-signed).',
    'Usage errors exit 2, failed operations 1.',
  ].join('\n');
}

export function renderGroupHelp(group: CommandGroup): string {
  const rows = group.commands.map((command) => [`  ${command.name}`, command.summary]);
  return [
    `quotagate ${group.name}: ${group.summary}.`,
    '',
    `Usage: quotagate ${group.name} <command> [flags]`,
    '',
    'Commands:',
    untitled(renderTable(['', ''], rows)),
    '',
    `Run \`quotagate ${group.name} <command> --help\` for its flags.`,
  ].join('\n');
}

export function renderCommandHelp(group: CommandGroup, command: Command): string {
  const many = command.positional !== undefined && command.flags[command.positional]?.multiple;
  const positional = command.positional ? ` [<${command.positional}>${many ? '…' : ''}]` : '';
  return [
    `quotagate ${group.name} ${command.name}: ${command.summary}.`,
    '',
    `Usage: quotagate ${group.name} ${command.name}${positional} [flags]`,
    '',
    'Flags:',
    untitled(renderTable(['', ''], flagRows(command.flags))) || '  (none of its own)',
    '',
    ...(command.notes ? [...command.notes, ''] : []),
    'Common flags: --json, --help, --region, --stage, --endpoint, --config-table, --state-table, --usage-table,',
    '              --api, --admin-token',
    '',
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
  ].join('\n');
}
