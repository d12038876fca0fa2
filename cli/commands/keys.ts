/**
 * `quotagate keys …`: create (the secret is printed once), list (one user's or everyone's),
 * disable and enable (for a while), revoke (for good).
 */
import {
  type ApiKeyView,
  createApiKey,
  listAllApiKeys,
  listApiKeys,
  revokeApiKey,
  setApiKeyLimits,
  setApiKeyStatus,
} from '#shared/admin/api-keys.ts';
import type { CommandGroup, CommandInput } from '../command.ts';
import { renderTable, time, usd } from '../output.ts';

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

/** `keys create`'s flags as the operation's input; `--api` sends the same fields. */
export function keyCreateInput(input: CommandInput) {
  return {
    userId: input.text('user'),
    groupId: input.optionalText('group'),
    name: input.optionalText('name'),
    expiresAt: input.optionalText('expires'),
    quotaUsd: input.optionalText('quota'),
    allowedModels: input.optionalText('models'),
    allowedIps: input.optionalText('allow-ips'),
    requestsPerMinute: input.optionalText('rpm'),
    budgetUsd: input.optionalText('budget'),
    budgetPeriod: input.optionalText('budget-period'),
  };
}

/** `keys set`'s flags as the operation's input; `--api` sends the same fields to PATCH. */
export function keySetInput(input: CommandInput) {
  return {
    allowedIps: input.optionalText('allow-ips'),
    requestsPerMinute: input.optionalText('rpm'),
    budgetUsd: input.optionalText('budget'),
    budgetPeriod: input.optionalText('budget-period'),
  };
}

export const keysCommands: CommandGroup = {
  name: 'keys',
  summary: 'Client API keys (sk-qg-…): create, list, disable, enable, revoke',
  commands: [
    {
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
      async run(input) {
        const { key, secret } = await createApiKey(await input.store(), keyCreateInput(input));
        const text = [
          `Created API key ${key.id} for user ${key.userId} in group ${key.groupId}.`,
          '',
          `  ${secret}`,
          '',
          'Copy it now: this is the only time it is shown (only its SHA-256 hash is stored).',
        ].join('\n');
        return { json: { ...key, key: secret }, text };
      },
    },
    {
      name: 'list',
      summary: "List API keys (never the secrets): a user's, or every user's",
      flags: { user: { type: 'string', value: 'id', description: 'Owner (usr_…); default: every user' } },
      positional: 'user',
      examples: ['quotagate keys list', 'quotagate keys list --user usr_8k2m4q9z1x0c'],
      async run(input) {
        const user = input.optionalText('user');
        const store = await input.store();
        const keys = user === undefined ? await listAllApiKeys(store) : await listApiKeys(store, user);
        return { json: keys, text: renderKeysTable(keys) };
      },
    },
    ...(['disable', 'enable'] as const).map((verb) => ({
      name: verb,
      summary:
        verb === 'disable'
          ? 'Disable an API key until it is enabled again (the gateway answers 401 meanwhile)'
          : 'Enable a disabled API key again (a revoked key stays revoked)',
      flags: { key: { type: 'string', required: true, value: 'id', description: 'Key id (key_…)' } } as const,
      positional: 'key',
      examples: [`quotagate keys ${verb} key_3n5p7r9t1v2w`],
      async run(input: CommandInput) {
        const status = verb === 'disable' ? 'disabled' : 'active';
        const key = await setApiKeyStatus(await input.store(), input.text('key'), status);
        return { json: key, text: `API key ${key.id} (${key.prefix}…) is ${verb}d.` };
      },
    })),
    {
      name: 'set',
      summary:
        "Change a key's limits in place: IP allow-list, requests per minute, budget (none removes one)",
      flags: {
        key: { type: 'string', required: true, value: 'id', description: 'Key id (key_…)' },
        'allow-ips': { type: 'string', value: 'cidr,…', description: 'IPv4/IPv6 CIDR blocks, or none' },
        rpm: { type: 'string', value: 'n', description: 'Requests per minute, or none' },
        budget: { type: 'string', value: 'usd', description: 'USD per --budget-period, or none' },
        'budget-period': { type: 'string', value: 'period', description: 'daily, weekly or monthly' },
      },
      positional: 'key',
      examples: [
        'quotagate keys set key_3n5p7r9t1v2w --allow-ips 203.0.113.0/24 --rpm 30',
        'quotagate keys set key_3n5p7r9t1v2w --budget 20 --budget-period monthly',
        'quotagate keys set key_3n5p7r9t1v2w --allow-ips none --budget none',
      ],
      async run(input) {
        const key = await setApiKeyLimits(await input.store(), input.text('key'), keySetInput(input));
        return { json: key, text: `API key ${key.id} (${key.prefix}…) limits updated.` };
      },
    },
    {
      name: 'revoke',
      summary: 'Revoke an API key for good (the gateway answers 401)',
      flags: { key: { type: 'string', required: true, value: 'id', description: 'Key id (key_…)' } },
      positional: 'key',
      examples: ['quotagate keys revoke key_3n5p7r9t1v2w'],
      async run(input) {
        const key = await revokeApiKey(await input.store(), input.text('key'));
        return { json: key, text: `API key ${key.id} (${key.prefix}…) is revoked.` };
      },
    },
  ],
};
