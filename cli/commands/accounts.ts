/**
 * `quotagate accounts …`: the upstream pool. Credentials are accepted by `create` (or read from
 * stdin with `-`) and never printed by anything.
 */
import type { AccountView } from '#shared/admin/accounts.ts';
import type { AccountHealth } from '#shared/domain/types.ts';
import {
  type Command,
  type CommandGroup,
  type CommandInput,
  defineCommand,
  type FlagSpec,
} from '../command.ts';
import {
  accountChangeBody,
  accountCreateBody,
  egressFlags,
  errorCodesFlag,
  mappingFlags,
} from './account-flags.ts';
import { accountSummary, renderAccountsTable, renderHealth } from './account-text.ts';
import { groupFlag, idFlag, ifVersionFlag, versionPin } from './shared-flags.ts';
import { deleteCommand, listAllCommand } from './standard-commands.ts';

const accountFlag = idFlag('Account id (acc_…)');
const accountPath = (input: CommandInput) => `/admin/v1/accounts/${input.id('account')}`;

/** A command on one account that prints what it did and the account as it is now. */
const accountCommand = (
  command: Omit<Command<AccountView>, 'render' | 'flags' | 'positional' | 'examples'> & {
    flags?: Record<string, FlagSpec>;
    examples?: string[];
  },
  verb: string,
) =>
  defineCommand<AccountView>({
    flags: { account: accountFlag },
    examples: [`quotagate accounts ${command.name} acc_5h7j9k1m3n4p`],
    ...command,
    positional: 'account',
    render: (account) => accountSummary(verb, account),
  });

const statusCommand = (name: 'disable' | 'enable', summary: string, verb: string) =>
  accountCommand(
    {
      name,
      summary,
      run: (api, input) =>
        api.call('PATCH', accountPath(input), {
          body: { status: name === 'disable' ? 'disabled' : 'active' },
        }),
    },
    verb,
  );

const membershipCommand = (name: 'add-group' | 'remove-group') =>
  accountCommand(
    {
      name,
      summary: name === 'add-group' ? 'Let the account serve a group' : 'Stop the account serving a group',
      flags: { account: accountFlag, group: groupFlag },
      examples: [`quotagate accounts ${name} --account acc_5h7j9k1m3n4p --group pro`],
      run: (api, input) =>
        name === 'add-group'
          ? api.call('POST', `${accountPath(input)}/groups`, { body: { groupId: input.text('group') } })
          : api.call('DELETE', `${accountPath(input)}/groups/${input.id('group')}`),
    },
    'Updated',
  );

export const accountsCommands: CommandGroup = {
  name: 'accounts',
  summary: 'Upstream OpenAI accounts (platform API keys and ChatGPT OAuth)',
  commands: [
    defineCommand<AccountView>({
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
      run: (api, input) => api.call('POST', '/admin/v1/accounts', { body: accountCreateBody(input) }),
      render: (account) => accountSummary('Created', account),
    }),
    listAllCommand({
      group: 'accounts',
      path: '/admin/v1/accounts',
      summary: 'List accounts (never their credentials)',
      render: renderAccountsTable,
    }),
    accountCommand(
      { name: 'show', summary: 'Show one account', run: (api, input) => api.call('GET', accountPath(input)) },
      'Account',
    ),
    statusCommand('disable', 'Take an account out of rotation', 'Disabled'),
    statusCommand('enable', 'Put a disabled account back in rotation', 'Enabled'),
    accountCommand(
      {
        name: 'set',
        summary: 'Change priority, concurrency, model mapping, custom error codes, User-Agent and/or proxy',
        flags: {
          account: accountFlag,
          priority: { type: 'string', value: 'n', description: 'Lower is preferred' },
          concurrency: { type: 'string', value: 'n', description: 'Requests in flight at once (at least 1)' },
          ...mappingFlags,
          'clear-map': {
            type: 'boolean',
            description: 'Remove the model mapping (serve any model unmapped)',
          },
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
        examples: [
          'quotagate accounts set --account acc_5h7j9k1m3n4p --priority 1 --concurrency 3',
          'quotagate accounts set --account acc_5h7j9k1m3n4p --map gpt-5=gpt-5.1-codex --map gpt-5-mini=gpt-5.1-codex-mini',
          'quotagate accounts set --account acc_5h7j9k1m3n4p --error-codes 401,402',
          'quotagate accounts set --account acc_5h7j9k1m3n4p --user-agent team-egress/1.0 --proxy-url - < proxy.txt',
        ],
        run: (api, input) =>
          api.call('PATCH', accountPath(input), { body: accountChangeBody(input), ...versionPin(input) }),
      },
      'Updated',
    ),
    membershipCommand('add-group'),
    membershipCommand('remove-group'),
    defineCommand<AccountHealth>({
      name: 'health',
      summary: 'Show why an account is or is not being scheduled',
      flags: { account: accountFlag },
      positional: 'account',
      examples: ['quotagate accounts health acc_5h7j9k1m3n4p'],
      // The stored health; `quotagate ops health` adds cooldown, Codex usage and slots.
      run: async (api, input) => (await api.call<AccountView>('GET', accountPath(input))).health,
      render: renderHealth,
    }),
    defineCommand<{ accounts: number; sealed: string[] }>({
      name: 'reseal',
      summary: 'Seal the credentials of accounts stored before sealing (KMS key; safe to repeat)',
      flags: {},
      examples: ['quotagate accounts reseal --region eu-west-1 --stage prod'],
      run: (api) => api.call('POST', '/admin/v1/accounts/reseal'),
      render: (result) =>
        `Sealed the credentials of ${result.sealed.length} of ${result.accounts} accounts${
          result.sealed.length > 0 ? ` (${result.sealed.join(', ')})` : ''
        }.`,
    }),
    accountCommand(
      {
        name: 'clear',
        summary: 'Clear an error state or cooldown (health back to ok)',
        run: (api, input) => api.call('POST', `${accountPath(input)}/clear`),
      },
      'Cleared the health of',
    ),
    deleteCommand({
      noun: 'account',
      flag: accountFlag,
      path: accountPath,
      summary: 'Delete a disabled account and its credentials (usage records keep its id)',
      example: 'quotagate accounts disable acc_5h7j9k1m3n4p && quotagate accounts delete acc_5h7j9k1m3n4p',
    }),
  ],
};
