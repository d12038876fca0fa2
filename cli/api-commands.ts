/**
 * The admin commands over the admin HTTP API (`--api <url>`): each command's flags become one
 * API call, whose JSON answer is printed exactly as the command prints it on the tables (lists
 * as arrays, `keys create` with its `key`). Validation happens where it always does, in the
 * shared admin operations behind the API, so the sentences and exit codes are the same; the
 * text for humans is a generic table or field list of the same data.
 *
 * Commands without an entry here read through `input.adminApi()` themselves (the `ops` group)
 * and run unchanged.
 *
 * @example
 * ```ts
 * const output = await runViaAdminApi('users', usersCommands.commands[0], input);
 * ```
 */
import { parseModelMapping } from '#shared/admin/fields.ts';
import type { AdminApiTransport, ApiCallOptions } from './admin-api-client.ts';
import type { Command, CommandInput, CommandOutput } from './command.ts';
import { accountChangeInput, accountCreateInput } from './commands/accounts.ts';
import { groupChangeInput, groupCreateInput } from './commands/groups.ts';
import { keyCreateInput, keySetInput } from './commands/keys.ts';
import { ifVersionOf } from './commands/shared-flags.ts';
import { periodInput } from './commands/subscriptions.ts';
import { userChangeInput, userCreateInput } from './commands/users.ts';
import { renderFields, renderTable, time, usd } from './output.ts';

interface ApiCall extends ApiCallOptions {
  method: string;
  path: string;
  /** What the direct command prints as JSON, from the API's answer (default: the answer). */
  json?: (answer: never) => unknown;
  /** A sentence to print after the generic text. */
  note?: string;
}

type Mapping = (input: CommandInput) => ApiCall;

const seg = (value: string) => encodeURIComponent(value);
const data = (answer: { data: unknown }) => answer.data;

/** Drops absent fields, so the API sees exactly the flags given. */
function fields(values: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

/** An account's fields with the model mapping as the API takes it: an object, parsed here. */
function withParsedMapping<T extends { modelMapping: Parameters<typeof parseModelMapping>[0] | undefined }>(
  values: T,
) {
  const given = values.modelMapping;
  return { ...values, modelMapping: given === undefined ? undefined : parseModelMapping(given) };
}

function versioned(input: CommandInput): Pick<ApiCall, 'ifVersion'> {
  const ifVersion = ifVersionOf(input);
  return ifVersion === undefined ? {} : { ifVersion };
}

const status =
  (group: string, id: string, value: 'active' | 'disabled'): Mapping =>
  (input) => ({
    method: 'PATCH',
    path: `/admin/v1/${group}/${seg(input.text(id))}`,
    body: { status: value },
  });

export const API_COMMANDS: Readonly<Record<string, Mapping>> = {
  'users create': (input) => ({
    method: 'POST',
    path: '/admin/v1/users',
    body: fields(userCreateInput(input)),
  }),
  'users list': () => ({ method: 'GET', path: '/admin/v1/users', json: data }),
  'users show': (input) => ({ method: 'GET', path: `/admin/v1/users/${seg(input.text('user'))}` }),
  'users set': (input) => ({
    method: 'PATCH',
    path: `/admin/v1/users/${seg(input.text('user'))}`,
    body: fields(userChangeInput(input)),
    ...versioned(input),
  }),
  'users add-balance': (input) => ({
    method: 'POST',
    path: `/admin/v1/users/${seg(input.text('user'))}/balance`,
    body: { amountUsd: input.text('amount') },
    headers: fields({ 'idempotency-key': input.optionalText('idempotency-key') }) as Record<string, string>,
  }),
  'users disable': status('users', 'user', 'disabled'),
  'users enable': status('users', 'user', 'active'),
  'keys create': (input) => ({
    method: 'POST',
    path: '/admin/v1/keys',
    body: fields(keyCreateInput(input)),
    note: 'Copy the key now: this is the only time it is shown (only its SHA-256 hash is stored).',
  }),
  'keys list': (input) => ({
    method: 'GET',
    path: '/admin/v1/keys',
    query: { user: input.optionalText('user') },
    json: data,
  }),
  'keys set': (input) => ({
    method: 'PATCH',
    path: `/admin/v1/keys/${seg(input.text('key'))}`,
    body: fields(keySetInput(input)),
  }),
  'keys disable': status('keys', 'key', 'disabled'),
  'keys enable': status('keys', 'key', 'active'),
  'keys revoke': (input) => ({ method: 'POST', path: `/admin/v1/keys/${seg(input.text('key'))}/revoke` }),
  'groups create': (input) => ({
    method: 'POST',
    path: '/admin/v1/groups',
    body: fields(groupCreateInput(input)),
  }),
  'groups list': () => ({ method: 'GET', path: '/admin/v1/groups', json: data }),
  'groups show': (input) => ({ method: 'GET', path: `/admin/v1/groups/${seg(input.text('group'))}` }),
  'groups delete': (input) => ({
    method: 'DELETE',
    path: `/admin/v1/groups/${seg(input.text('group'))}`,
    ...versioned(input),
  }),
  'groups set': (input) => ({
    method: 'PATCH',
    path: `/admin/v1/groups/${seg(input.text('group'))}`,
    body: fields(groupChangeInput(input)),
    ...versioned(input),
  }),
  'accounts create': (input) => ({
    method: 'POST',
    path: '/admin/v1/accounts',
    body: fields(withParsedMapping(accountCreateInput(input))),
  }),
  'accounts list': () => ({ method: 'GET', path: '/admin/v1/accounts', json: data }),
  'accounts show': (input) => ({ method: 'GET', path: `/admin/v1/accounts/${seg(input.text('account'))}` }),
  'accounts disable': status('accounts', 'account', 'disabled'),
  'accounts enable': status('accounts', 'account', 'active'),
  'accounts set': (input) => ({
    method: 'PATCH',
    path: `/admin/v1/accounts/${seg(input.text('account'))}`,
    body: fields(withParsedMapping(accountChangeInput(input))),
    ...versioned(input),
  }),
  'accounts add-group': (input) => ({
    method: 'POST',
    path: `/admin/v1/accounts/${seg(input.text('account'))}/groups`,
    body: { groupId: input.text('group') },
  }),
  'accounts remove-group': (input) => ({
    method: 'DELETE',
    path: `/admin/v1/accounts/${seg(input.text('account'))}/groups/${seg(input.text('group'))}`,
  }),
  // The same JSON as on the tables (the stored health); `quotagate ops health` has the full report.
  'accounts health': (input) => ({
    method: 'GET',
    path: `/admin/v1/accounts/${seg(input.text('account'))}`,
    json: (account: { health: unknown }) => account.health,
  }),
  'accounts delete': (input) => ({
    method: 'DELETE',
    path: `/admin/v1/accounts/${seg(input.text('account'))}`,
    ...versioned(input),
  }),
  'accounts clear': (input) => ({
    method: 'POST',
    path: `/admin/v1/accounts/${seg(input.text('account'))}/clear`,
  }),
  'subscriptions assign': (input) => ({
    method: 'POST',
    path: '/admin/v1/subscriptions',
    body: periodInput(input),
  }),
  'subscriptions extend': (input) => ({
    method: 'PATCH',
    path: `/admin/v1/subscriptions/${seg(input.text('user'))}/${seg(input.text('group'))}`,
    body: { until: input.text('until') },
  }),
  'subscriptions list': (input) => ({
    method: 'GET',
    path: '/admin/v1/subscriptions',
    query: { user: input.optionalText('user') },
    json: data,
  }),
  'subscriptions cancel': (input) => ({
    method: 'POST',
    path: `/admin/v1/subscriptions/${seg(input.text('user'))}/${seg(input.text('group'))}/cancel`,
  }),
};

type Scalar = string | number | boolean;
const isScalar = (value: unknown): value is Scalar => ['string', 'number', 'boolean'].includes(typeof value);

/** A value for humans: nano-USD as USD, epoch ms and ISO times as UTC minutes. */
function shown(name: string, value: unknown): string {
  if (typeof value === 'number' && name.endsWith('Nano')) return usd(value);
  if (typeof value === 'number' && name.endsWith('At') && value > 1e12) return time(value);
  if (typeof value === 'string' && /At$|^until$/.test(name) && /^\d{4}-\d{2}-\d{2}T/.test(value))
    return time(value);
  if (Array.isArray(value)) return value.every(isScalar) ? value.join(', ') || '-' : JSON.stringify(value);
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function label(name: string): string {
  const words = name
    .replace(/Nano$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A table for lists (the first item's fields), label/value lines for one item. */
export function renderGeneric(value: unknown): string {
  if (Array.isArray(value)) {
    const first = value[0] as Record<string, unknown> | undefined;
    if (!first) return '(none)';
    const columns = Object.keys(first)
      .filter((name) => isScalar(first[name]) || Array.isArray(first[name]))
      .slice(0, 9);
    const rows = value.map((row) =>
      columns.map((name) => shown(name, (row as Record<string, unknown>)[name] ?? '-')),
    );
    return renderTable(
      columns.map((name) => label(name).toUpperCase()),
      rows,
    );
  }
  if (value === null || typeof value !== 'object') return String(value);
  const entries = Object.entries(value as Record<string, unknown>);
  const isSection = ([, inner]: [string, unknown]) =>
    Array.isArray(inner) ? !inner.every(isScalar) : inner !== null && typeof inner === 'object';
  const sections = entries.filter(isSection);
  const flat = entries.filter((entry) => !sections.includes(entry));
  const parts =
    flat.length > 0 ? [renderFields(flat.map(([name, inner]) => [label(name), shown(name, inner)]))] : [];
  for (const [name, inner] of sections) parts.push(`\n${label(name)}:\n${renderGeneric(inner)}`);
  return parts.join('\n');
}

/** Runs a command against the admin API instead of the tables. */
export async function runViaAdminApi(
  group: string,
  command: Command,
  input: CommandInput,
): Promise<CommandOutput> {
  const mapping = API_COMMANDS[`${group} ${command.name}`];
  if (!mapping) return command.run(input);
  const call = mapping(input);
  const transport: AdminApiTransport = await input.adminApi();
  const answer = await transport.call<never>(call.method, call.path, call);
  const json = call.json ? call.json(answer) : answer;
  const text = renderGeneric(json);
  return { json, text: call.note ? `${text}\n\n${call.note}` : text };
}
