/**
 * `quotagate accounts …`: the upstream pool. Credentials are accepted by `create` (or read from
 * stdin with `-`) and never printed by anything.
 */
import {
  type AccountView,
  addAccountToGroup,
  clearAccountHealth,
  createAccount,
  deleteAccount,
  getAccount,
  getAccountHealth,
  listAccounts,
  removeAccountFromGroup,
  resealAccounts,
  setAccountStatus,
  updateAccount,
} from '#shared/admin/accounts.ts';
import type { AccountHealth, CodexUsageWindow } from '#shared/domain/types.ts';
import { type Command, type CommandGroup, type CommandInput, type FlagSpec, UsageError } from '../command.ts';
import { orDash, renderFields, renderTable, time } from '../output.ts';
import { ifVersionFlag, ifVersionOf } from './shared-flags.ts';

const accountFlag: FlagSpec = {
  type: 'string',
  required: true,
  value: 'id',
  description: 'Account id (acc_…)',
};
const groupFlag: FlagSpec = { type: 'string', required: true, value: 'id', description: 'Group id' };

const egressFlags: Record<string, FlagSpec> = {
  'user-agent': {
    type: 'string',
    value: 'text',
    description: 'User-Agent sent upstream instead of the client’s',
  },
  'proxy-url': {
    type: 'string',
    value: 'url|-',
    secret: true,
    description:
      'HTTP(S) proxy for this account’s upstream traffic, e.g. http://user:pass@host:3128 (- reads stdin)',
  },
};

const errorCodesFlag: Record<string, FlagSpec> = {
  'error-codes': {
    type: 'string',
    value: '401,403',
    description: 'Upstream statuses that mark this account (only these); failover is unchanged',
  },
};

const mappingFlags: Record<string, FlagSpec> = {
  map: { type: 'string', multiple: true, value: 'from=to', description: 'Model mapping entry (repeatable)' },
  'map-json': { type: 'string', value: 'json', description: 'Model mapping as a JSON object' },
};

/** `reasonLength` shortens the reason (a table row) so the state and its end stay visible. */
function health(state: AccountHealth, reasonLength = Number.POSITIVE_INFINITY): string {
  const parts: string[] = [state.state];
  const reason = state.reason?.replace(/\s+/g, ' ');
  if (reason)
    parts.push(`(${reason.length > reasonLength ? `${reason.slice(0, reasonLength - 1)}…` : reason})`);
  if (state.until !== undefined) parts.push(`until ${time(state.until)}`);
  return parts.join(' ');
}

function mapping(modelMapping: Record<string, string>): string {
  const entries = Object.entries(modelMapping);
  return entries.length === 0 ? 'any model' : entries.map(([from, to]) => `${from}=${to}`).join(', ');
}

function codexWindow(label: string, window: CodexUsageWindow | undefined): string | undefined {
  if (window?.usedPercent === undefined) return undefined;
  const resets = window.resetsAt === undefined ? '' : ` (resets ${time(window.resetsAt)})`;
  return `${label} ${window.usedPercent}%${resets}`;
}

function codexUsage(account: AccountView): string | undefined {
  const usage = account.codexUsage;
  if (!usage) return undefined;
  const windows = [codexWindow('5h', usage.fiveHour), codexWindow('7d', usage.sevenDay)].filter(Boolean);
  return windows.length === 0 ? undefined : windows.join(', ');
}

function accountFields(account: AccountView): string {
  return renderFields([
    ['ID', account.id],
    ['Name', account.name],
    ['Type', account.type],
    ['Base URL', account.baseUrl ?? 'ChatGPT Codex backend'],
    ['Status', account.status],
    ['Priority', String(account.priority)],
    ['Concurrency', String(account.concurrency)],
    ['Groups', account.groupIds.join(', ') || 'none (never scheduled)'],
    ['Models', mapping(account.modelMapping)],
    [
      'Error codes',
      account.customErrorCodes?.length ? account.customErrorCodes.join(', ') : 'by the error’s meaning',
    ],
    ['User-Agent', account.userAgent ?? 'the client’s'],
    ['Proxy', account.proxyEndpoint ?? 'none (direct)'],
    ['Health', health(account.health)],
    ['Codex usage', codexUsage(account)],
    ['Token expires', account.tokenExpiresAt ? time(account.tokenExpiresAt) : undefined],
    ['Last used', time(account.lastUsedAt)],
    ['Created', time(account.createdAt)],
    ['Version', orDash(account.version)],
  ]);
}

function summary(verb: string, account: AccountView): string {
  return `${verb} account ${account.id} (${account.name}).\n${accountFields(account)}`;
}

/** `--map` pairs or `--map-json`, or `--clear-map` for an empty mapping; at most one of them. */
export function mappingInput(input: CommandInput): string[] | string | Record<string, string> | undefined {
  const pairs = input.list('map');
  const json = input.optionalText('map-json');
  const clear = input.flag('clear-map');
  if ([pairs !== undefined, json !== undefined, clear].filter(Boolean).length > 1) {
    throw new UsageError('Give the model mapping one way: --map, --map-json or --clear-map.');
  }
  return clear ? {} : (pairs ?? json);
}

/** `accounts create`'s flags as the operation's input; `--api` sends the same fields. */
export function accountCreateInput(input: CommandInput) {
  return {
    type: input.text('type'),
    name: input.text('name'),
    baseUrl: input.optionalText('base-url'),
    apiKey: input.optionalText('api-key'),
    accessToken: input.optionalText('access-token'),
    refreshToken: input.optionalText('refresh-token'),
    chatgptAccountId: input.optionalText('chatgpt-account-id'),
    expiresAt: input.optionalText('expires-at'),
    priority: input.optionalText('priority'),
    concurrency: input.optionalText('concurrency'),
    groupIds: input.optionalText('groups'),
    modelMapping: mappingInput(input),
    customErrorCodes: input.optionalText('error-codes'),
    userAgent: input.optionalText('user-agent'),
    proxyUrl: input.optionalText('proxy-url'),
  };
}

/** `accounts set`'s changes (without the version); `--api` sends the same fields. */
export function accountChangeInput(input: CommandInput) {
  return {
    priority: input.optionalText('priority'),
    concurrency: input.optionalText('concurrency'),
    modelMapping: mappingInput(input),
    customErrorCodes: errorCodesInput(input),
    userAgent: clearable(input, 'user-agent', 'clear-user-agent'),
    proxyUrl: clearable(input, 'proxy-url', 'clear-proxy'),
  };
}

/** A value flag or its clearing flag (an empty value), not both. */
function clearable(input: CommandInput, flag: string, clearFlag: string): string | undefined {
  const value = input.optionalText(flag);
  if (!input.flag(clearFlag)) return value;
  if (value !== undefined) throw new UsageError(`Give --${flag} or --${clearFlag}, not both.`);
  return '';
}

/** `--error-codes` or `--clear-error-codes` (an empty list), not both. */
function errorCodesInput(input: CommandInput): string | undefined {
  const codes = input.optionalText('error-codes');
  if (!input.flag('clear-error-codes')) return codes;
  if (codes !== undefined) throw new UsageError('Give --error-codes or --clear-error-codes, not both.');
  return '';
}

const accountCommand = (
  name: string,
  summaryText: string,
  example: string,
  act: (input: CommandInput) => Promise<AccountView>,
  verb: string,
): Command => ({
  name,
  summary: summaryText,
  flags: { account: accountFlag },
  positional: 'account',
  examples: [example],
  async run(input) {
    const account = await act(input);
    return { json: account, text: summary(verb, account) };
  },
});

const membershipCommand = (name: 'add-group' | 'remove-group'): Command => ({
  name,
  summary: name === 'add-group' ? 'Let the account serve a group' : 'Stop the account serving a group',
  flags: { account: accountFlag, group: groupFlag },
  positional: 'account',
  examples: [`quotagate accounts ${name} --account acc_5h7j9k1m3n4p --group pro`],
  async run(input) {
    const change = name === 'add-group' ? addAccountToGroup : removeAccountFromGroup;
    const account = await change(await input.store(), input.text('account'), input.text('group'));
    return { json: account, text: summary('Updated', account) };
  },
});

export const accountsCommands: CommandGroup = {
  name: 'accounts',
  summary: 'Upstream OpenAI accounts (platform API keys and ChatGPT OAuth)',
  commands: [
    {
      name: 'create',
      summary: 'Add an upstream account',
      flags: {
        type: { type: 'string', required: true, value: 'apikey|oauth', description: 'Kind of account' },
        name: { type: 'string', required: true, value: 'text', description: 'Display name' },
        'base-url': {
          type: 'string',
          value: 'url',
          description: 'Upstream base URL (apikey default https://api.openai.com)',
        },
        'api-key': {
          type: 'string',
          value: 'key|-',
          secret: true,
          description: 'Platform API key (apikey; - reads stdin)',
        },
        'access-token': {
          type: 'string',
          value: 'token|-',
          secret: true,
          description: 'OAuth access token (- reads stdin)',
        },
        'refresh-token': { type: 'string', value: 'token', secret: true, description: 'OAuth refresh token' },
        'chatgpt-account-id': { type: 'string', value: 'id', description: 'ChatGPT account id (oauth)' },
        'expires-at': { type: 'string', value: 'time', description: 'When the access token expires (oauth)' },
        priority: { type: 'string', value: 'n', description: 'Lower is preferred (default 50)' },
        concurrency: { type: 'string', value: 'n', description: 'Requests in flight at once (default 10)' },
        groups: { type: 'string', value: 'a,b', description: 'Groups served (default: default)' },
        ...mappingFlags,
        ...errorCodesFlag,
        ...egressFlags,
      },
      examples: [
        'quotagate accounts create --type apikey --name platform --base-url https://api.openai.com --api-key sk-…',
        'quotagate accounts create --type oauth --name codex-1 --access-token eyJ… --refresh-token rt_… --chatgpt-account-id 0f1e… --expires-at 2026-07-01T00:00:00Z',
      ],
      async run(input) {
        const account = await createAccount(await input.store(), accountCreateInput(input));
        return { json: account, text: summary('Created', account) };
      },
    },
    {
      name: 'list',
      summary: 'List accounts (never their credentials)',
      flags: {},
      examples: ['quotagate accounts list'],
      async run(input) {
        const accounts = await listAccounts(await input.store());
        const rows = accounts.map((account) => [
          account.id,
          account.name,
          account.type,
          account.status,
          String(account.priority),
          String(account.concurrency),
          account.groupIds.join(',') || '-',
          mapping(account.modelMapping),
          health(account.health, 20),
          time(account.lastUsedAt),
        ]);
        const headers = [
          'ID',
          'NAME',
          'TYPE',
          'STATUS',
          'PRIO',
          'CONC',
          'GROUPS',
          'MODELS',
          'HEALTH',
          'LAST USED',
        ];
        return { json: accounts, text: renderTable(headers, rows) };
      },
    },
    accountCommand(
      'show',
      'Show one account',
      'quotagate accounts show acc_5h7j9k1m3n4p',
      async (input) => getAccount(await input.store(), input.text('account')),
      'Account',
    ),
    accountCommand(
      'disable',
      'Take an account out of rotation',
      'quotagate accounts disable acc_5h7j9k1m3n4p',
      async (input) => setAccountStatus(await input.store(), input.text('account'), 'disabled'),
      'Disabled',
    ),
    accountCommand(
      'enable',
      'Put a disabled account back in rotation',
      'quotagate accounts enable acc_5h7j9k1m3n4p',
      async (input) => setAccountStatus(await input.store(), input.text('account'), 'active'),
      'Enabled',
    ),
    {
      name: 'set',
      summary: 'Change priority, concurrency, model mapping, custom error codes, User-Agent and/or proxy',
      flags: {
        account: accountFlag,
        priority: { type: 'string', value: 'n', description: 'Lower is preferred' },
        concurrency: { type: 'string', value: 'n', description: 'Requests in flight at once (at least 1)' },
        ...mappingFlags,
        'clear-map': { type: 'boolean', description: 'Remove the model mapping (serve any model unmapped)' },
        ...errorCodesFlag,
        'clear-error-codes': {
          type: 'boolean',
          description: 'Remove the custom error codes (the error’s meaning decides again)',
        },
        ...egressFlags,
        'clear-user-agent': { type: 'boolean', description: 'Send the client’s User-Agent again' },
        'clear-proxy': { type: 'boolean', description: 'Send this account’s traffic direct again' },
        ...ifVersionFlag,
      },
      positional: 'account',
      examples: [
        'quotagate accounts set --account acc_5h7j9k1m3n4p --priority 1 --concurrency 3',
        'quotagate accounts set --account acc_5h7j9k1m3n4p --map gpt-5=gpt-5.1-codex --map gpt-5-mini=gpt-5.1-codex-mini',
        'quotagate accounts set --account acc_5h7j9k1m3n4p --error-codes 401,402',
        'quotagate accounts set --account acc_5h7j9k1m3n4p --user-agent team-egress/1.0 --proxy-url - < proxy.txt',
      ],
      async run(input) {
        const account = await updateAccount(await input.store(), input.text('account'), {
          ...accountChangeInput(input),
          ifVersion: ifVersionOf(input),
        });
        return { json: account, text: summary('Updated', account) };
      },
    },
    membershipCommand('add-group'),
    membershipCommand('remove-group'),
    {
      name: 'health',
      summary: 'Show why an account is or is not being scheduled',
      flags: { account: accountFlag },
      positional: 'account',
      examples: ['quotagate accounts health acc_5h7j9k1m3n4p'],
      async run(input) {
        const state = await getAccountHealth(await input.store(), input.text('account'));
        return {
          json: state,
          text: renderFields([
            ['State', state.state],
            ['Reason', state.reason],
            ['Until', state.until === undefined ? undefined : time(state.until)],
            ['Updated', state.updatedAt === undefined ? undefined : time(state.updatedAt)],
          ]),
        };
      },
    },
    {
      name: 'reseal',
      summary: 'Seal the credentials of accounts stored before sealing (KMS key; safe to repeat)',
      flags: {},
      examples: ['quotagate accounts reseal --region eu-west-1 --stage prod'],
      async run(input) {
        const result = await resealAccounts(await input.store());
        return {
          json: result,
          text: `Sealed the credentials of ${result.sealed.length} of ${result.accounts} accounts${
            result.sealed.length > 0 ? ` (${result.sealed.join(', ')})` : ''
          }.`,
        };
      },
    },
    accountCommand(
      'clear',
      'Clear an error state or cooldown (health back to ok)',
      'quotagate accounts clear acc_5h7j9k1m3n4p',
      async (input) => clearAccountHealth(await input.store(), input.text('account')),
      'Cleared the health of',
    ),
    {
      name: 'delete',
      summary: 'Delete a disabled account and its credentials (usage records keep its id)',
      flags: { account: accountFlag, ...ifVersionFlag },
      positional: 'account',
      examples: ['quotagate accounts disable acc_5h7j9k1m3n4p && quotagate accounts delete acc_5h7j9k1m3n4p'],
      async run(input) {
        const id = input.text('account');
        const result = await deleteAccount(await input.store(), id, { ifVersion: ifVersionOf(input) });
        return { json: result, text: `Deleted account ${result.id}; its usage history stays.` };
      },
    },
  ],
};
