/**
 * `quotagate keys …`: create (the secret is printed once), list (one user's or everyone's),
 * disable and enable (for a while), revoke (for good).
 */
import type { ApiKeyView } from '#shared/admin/api-keys.ts';
import { type CommandGroup, type CommandInput, defineCommand } from '../command.ts';
import { renderTable, time, usd } from '../output.ts';
import { archivedFlag, idFlag } from './shared-flags.ts';

const keyFlag = idFlag('Key id (key_…)');
const keyPath = (input: CommandInput) => `/admin/v1/keys/${input.id('key')}`;
const keySummary = (key: ApiKeyView, what: string) => `API key ${key.id} (${key.prefix}…) ${what}.`;

export function renderKeysTable(keys: ApiKeyView[]): string {
  const rows = keys.map((key) => [
    key.id,
    `${key.prefix}…`,
    key.name || '-',
    key.userId,
    key.groupId,
    key.revokedAt ? 'revoked' : key.status,
    key.expiresAt ? time(key.expiresAt) : 'never',
    usd(key.usedNano ?? 0),
    key.quotaNano === undefined ? 'none' : usd(key.quotaNano),
    key.allowedModels?.join(',') ?? 'any',
  ]);
  return renderTable(
    ['ID', 'PREFIX', 'NAME', 'USER', 'GROUP', 'STATUS', 'EXPIRES', 'USED', 'QUOTA', 'MODELS'],
    rows,
  );
}

/** The limits `keys create` and `keys set` both take, by the API's field names. */
const LIMIT_FIELDS = {
  allowedIps: 'allow-ips',
  requestsPerMinute: 'rpm',
  budgetUsd: 'budget',
  budgetPeriod: 'budget-period',
};

export const keysCommands: CommandGroup = {
  name: 'keys',
  summary: 'Client API keys (sk-qg-…): create, list, disable, enable, revoke',
  commands: [
    defineCommand<ApiKeyView & { key: string }>({
      name: 'create',
      summary: 'Create an API key for a user; the key is shown once',
      flags: {
        user: { type: 'string', required: true, value: 'id', description: 'Owner (usr_…)' },
        group: { type: 'string', value: 'id', description: 'Group the key uses (default: default)' },
        name: { type: 'string', value: 'text', description: 'Label to recognise the key' },
        expires: { type: 'string', value: 'date', description: 'Refuse the key from this ISO date/time on' },
        quota: { type: 'string', value: 'usd', description: 'Total USD the key may spend' },
        models: { type: 'string', value: 'a,b', description: 'Models the key may call (default: any)' },
        budget: { type: 'string', value: 'usd', description: 'USD the key may spend per --budget-period' },
        'budget-period': {
          type: 'string',
          value: 'period',
          description: 'daily, weekly (from Monday, UTC) or monthly',
        },
        rpm: {
          type: 'string',
          value: 'n',
          description: 'Requests the key may start per minute (default: no limit)',
        },
        'allow-ips': {
          type: 'string',
          value: 'cidr,…',
          description: 'IPv4/IPv6 CIDR blocks the key may be used from (default: anywhere)',
        },
      },
      examples: [
        'quotagate keys create --user usr_8k2m4q9z1x0c',
        'quotagate keys create --user usr_8k2m4q9z1x0c --group pro --name laptop --expires 2027-01-01 --quota 50 --models gpt-5,gpt-5-mini',
        'quotagate keys create --user usr_8k2m4q9z1x0c --allow-ips 203.0.113.0/24,2001:db8::/32 --rpm 60 --budget 5 --budget-period daily',
      ],
      run: (api, input) =>
        api.call('POST', '/admin/v1/keys', {
          body: {
            userId: input.text('user'),
            ...input.fields({
              groupId: 'group',
              name: 'name',
              expiresAt: 'expires',
              quotaUsd: 'quota',
              allowedModels: 'models',
              ...LIMIT_FIELDS,
            }),
          },
        }),
      render: (key) =>
        [
          `Created API key ${key.id} for user ${key.userId} in group ${key.groupId}.`,
          '',
          `  ${key.key}`,
          '',
          'Copy it now: this is the only time it is shown (only its SHA-256 hash is stored).',
        ].join('\n'),
    }),
    defineCommand<ApiKeyView[]>({
      name: 'list',
      summary: "List API keys (never the secrets): a user's, or every user's",
      flags: {
        user: { type: 'string', value: 'id', description: 'Owner (usr_…); default: every user' },
        archived: archivedFlag,
      },
      positional: 'user',
      examples: ['quotagate keys list', 'quotagate keys list --user usr_8k2m4q9z1x0c'],
      run: (api, input) =>
        api.list('/admin/v1/keys', {
          user: input.optionalText('user'),
          archived: input.optionalText('archived'),
        }),
      render: renderKeysTable,
    }),
    ...(['disable', 'enable'] as const).map((verb) =>
      defineCommand<ApiKeyView>({
        name: verb,
        summary:
          verb === 'disable'
            ? 'Disable an API key until it is enabled again (the gateway answers 401 meanwhile)'
            : 'Enable a disabled API key again (a revoked key stays revoked)',
        flags: { key: keyFlag },
        positional: 'key',
        examples: [`quotagate keys ${verb} key_3n5p7r9t1v2w`],
        run: (api, input) =>
          api.call('PATCH', keyPath(input), { body: { status: verb === 'disable' ? 'disabled' : 'active' } }),
        render: (key) => keySummary(key, `is ${verb}d`),
      }),
    ),
    defineCommand<ApiKeyView>({
      name: 'set',
      summary:
        "Change a key's limits in place: IP allow-list, requests per minute, budget, alert percent (none removes one)",
      flags: {
        key: keyFlag,
        'allow-ips': { type: 'string', value: 'cidr,…', description: 'IPv4/IPv6 CIDR blocks, or none' },
        rpm: { type: 'string', value: 'n', description: 'Requests per minute, or none' },
        budget: { type: 'string', value: 'usd', description: 'USD per --budget-period, or none' },
        'budget-period': { type: 'string', value: 'period', description: 'daily, weekly or monthly' },
        'alert-percent': {
          type: 'string',
          value: 'n',
          description: 'Alert when the quota or budget reaches n % (and at 100 %), or none for the default',
        },
      },
      positional: 'key',
      examples: [
        'quotagate keys set key_3n5p7r9t1v2w --allow-ips 203.0.113.0/24 --rpm 30',
        'quotagate keys set key_3n5p7r9t1v2w --alert-percent 90',
        'quotagate keys set key_3n5p7r9t1v2w --budget 20 --budget-period monthly',
        'quotagate keys set key_3n5p7r9t1v2w --allow-ips none --budget none',
      ],
      run: (api, input) =>
        api.call('PATCH', keyPath(input), {
          body: input.fields({ ...LIMIT_FIELDS, alertPercent: 'alert-percent' }),
        }),
      render: (key) => keySummary(key, 'limits updated'),
    }),
    defineCommand<ApiKeyView>({
      name: 'revoke',
      summary: 'Revoke an API key for good (the gateway answers 401)',
      flags: { key: keyFlag },
      positional: 'key',
      examples: ['quotagate keys revoke key_3n5p7r9t1v2w'],
      run: (api, input) => api.call('POST', `${keyPath(input)}/revoke`),
      render: (key) => keySummary(key, 'is revoked'),
    }),
  ],
};
