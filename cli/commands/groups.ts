/**
 * `quotagate groups …`: create, list, show, set.
 */

import type { GroupDetails } from '#shared/admin/groups.ts';
import type { Group } from '#shared/domain/types.ts';
import type { Stored } from '#shared/store/config-admin.ts';
import { type CommandGroup, type CommandInput, defineCommand } from '../command.ts';
import { orDash, renderFields, renderTable, time, usd } from '../output.ts';
import { groupFlag, ifVersionFlag, versionPin } from './shared-flags.ts';
import { deleteCommand, listAllCommand } from './standard-commands.ts';

const groupPath = (input: CommandInput) => `/admin/v1/groups/${input.id('group')}`;

function limit(nano: number | undefined): string {
  return nano === undefined ? 'none' : usd(nano);
}

function groupFields(group: Stored<Group>): string {
  const subscription = group.billingMode === 'subscription';
  return renderFields([
    ['ID', group.id],
    ['Name', group.name],
    ['Billing', group.billingMode],
    ['Rate multiplier', String(group.rateMultiplier)],
    ['Daily limit', subscription ? limit(group.dailyLimitNano) : undefined],
    ['Weekly limit', subscription ? limit(group.weeklyLimitNano) : undefined],
    ['Monthly limit', subscription ? limit(group.monthlyLimitNano) : undefined],
    ['Created', time(group.createdAt)],
    ['Version', orDash(group.version)],
  ]);
}

function renderGroupsTable(groups: Stored<Group>[]): string {
  return renderTable(
    ['ID', 'NAME', 'BILLING', 'MULTIPLIER', 'DAILY', 'WEEKLY', 'MONTHLY'],
    groups.map((group) => [
      group.id,
      group.name,
      group.billingMode,
      String(group.rateMultiplier),
      group.billingMode === 'subscription' ? limit(group.dailyLimitNano) : '-',
      group.billingMode === 'subscription' ? limit(group.weeklyLimitNano) : '-',
      group.billingMode === 'subscription' ? limit(group.monthlyLimitNano) : '-',
    ]),
  );
}

/** The flags `groups create` and `groups set` both take, by the API's field names. */
const GROUP_FIELDS = {
  name: 'name',
  rateMultiplier: 'multiplier',
  billingMode: 'billing',
  dailyLimitUsd: 'daily-limit',
  weeklyLimitUsd: 'weekly-limit',
  monthlyLimitUsd: 'monthly-limit',
};

export const groupsCommands: CommandGroup = {
  name: 'groups',
  summary: 'Groups tie keys to accounts and set price multiplier and billing mode',
  commands: [
    defineCommand<Stored<Group>>({
      name: 'create',
      summary: 'Create a group',
      flags: {
        name: { type: 'string', required: true, value: 'text', description: 'Display name' },
        id: { type: 'string', value: 'id', description: 'Readable id such as team-a (default: grp_…)' },
        multiplier: {
          type: 'string',
          value: 'x',
          description: 'Rate multiplier, greater than 0 (default 1)',
        },
        billing: { type: 'string', value: 'mode', description: 'balance (default) or subscription' },
        'daily-limit': { type: 'string', value: 'usd', description: 'Subscription limit per day' },
        'weekly-limit': { type: 'string', value: 'usd', description: 'Subscription limit per week' },
        'monthly-limit': { type: 'string', value: 'usd', description: 'Subscription limit per month' },
      },
      examples: [
        'quotagate groups create --name Team --multiplier 1.5',
        'quotagate groups create --id pro --name Pro --billing subscription --daily-limit 5 --monthly-limit 100',
      ],
      run: (api, input) =>
        api.call('POST', '/admin/v1/groups', {
          body: { ...input.fields({ id: 'id', ...GROUP_FIELDS }), name: input.text('name') },
        }),
      render: (group) =>
        `Created group ${group.id} (${group.name}): ${group.billingMode} billing, multiplier ${group.rateMultiplier}.`,
    }),
    listAllCommand({
      group: 'groups',
      path: '/admin/v1/groups',
      summary: 'List groups',
      render: renderGroupsTable,
    }),
    defineCommand<GroupDetails>({
      name: 'show',
      summary: 'Show a group and the accounts serving it',
      flags: { group: groupFlag },
      positional: 'group',
      examples: ['quotagate groups show default'],
      run: (api, input) => api.call('GET', groupPath(input)),
      render(details) {
        const accounts = renderTable(
          ['ID', 'NAME', 'TYPE', 'STATUS'],
          details.accounts.map((account) => [account.id, account.name, account.type, account.status]),
        );
        return `${groupFields(details.group)}\n\nAccounts:\n${accounts}`;
      },
    }),
    defineCommand<Stored<Group>>({
      name: 'set',
      summary: "Change a group's name, multiplier, billing mode or limits (none removes a limit)",
      flags: {
        group: groupFlag,
        name: { type: 'string', value: 'text', description: 'Display name' },
        multiplier: { type: 'string', value: 'x', description: 'Rate multiplier, greater than 0' },
        billing: { type: 'string', value: 'mode', description: 'balance or subscription' },
        'daily-limit': { type: 'string', value: 'usd|none', description: 'Subscription limit per day' },
        'weekly-limit': { type: 'string', value: 'usd|none', description: 'Subscription limit per week' },
        'monthly-limit': { type: 'string', value: 'usd|none', description: 'Subscription limit per month' },
        ...ifVersionFlag,
      },
      positional: 'group',
      examples: [
        'quotagate groups set pro --multiplier 1.2 --daily-limit 10',
        'quotagate groups set pro --daily-limit none',
      ],
      run: (api, input) =>
        api.call('PATCH', groupPath(input), {
          body: input.fields(GROUP_FIELDS),
          ...versionPin(input),
        }),
      render: (group) => `Updated group ${group.id}.\n\n${groupFields(group)}`,
    }),
    deleteCommand({
      noun: 'group',
      flag: groupFlag,
      path: groupPath,
      summary: 'Delete a group no account, key or subscription uses (usage records keep its id)',
      example: 'quotagate groups delete trial',
    }),
  ],
};
