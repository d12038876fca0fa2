/**
 * `quotagate groups …`: create, list, show, set.
 */
import type { Stored } from '#shared/admin/config-admin.ts';
import { createGroup, deleteGroup, listGroups, showGroup, updateGroup } from '#shared/admin/groups.ts';
import type { Group } from '#shared/domain/types.ts';
import type { CommandGroup, CommandInput } from '../command.ts';
import { orDash, renderFields, renderTable, time, usd } from '../output.ts';
import { ifVersionFlag, ifVersionOf } from './shared-flags.ts';

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

/** `groups create`'s flags as the operation's input; `--api` sends the same fields. */
export function groupCreateInput(input: CommandInput) {
  return {
    id: input.optionalText('id'),
    name: input.text('name'),
    rateMultiplier: input.optionalText('multiplier'),
    billingMode: input.optionalText('billing'),
    dailyLimitUsd: input.optionalText('daily-limit'),
    weeklyLimitUsd: input.optionalText('weekly-limit'),
    monthlyLimitUsd: input.optionalText('monthly-limit'),
  };
}

/** `groups set`'s flags as the operation's input; `--api` sends the same fields. */
export function groupChangeInput(input: CommandInput) {
  return {
    name: input.optionalText('name'),
    rateMultiplier: input.optionalText('multiplier'),
    billingMode: input.optionalText('billing'),
    dailyLimitUsd: input.optionalText('daily-limit'),
    weeklyLimitUsd: input.optionalText('weekly-limit'),
    monthlyLimitUsd: input.optionalText('monthly-limit'),
  };
}

export const groupsCommands: CommandGroup = {
  name: 'groups',
  summary: 'Groups tie keys to accounts and set price multiplier and billing mode',
  commands: [
    {
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
      async run(input) {
        const group = await createGroup(await input.store(), groupCreateInput(input));
        return {
          json: group,
          text: `Created group ${group.id} (${group.name}): ${group.billingMode} billing, multiplier ${group.rateMultiplier}.`,
        };
      },
    },
    {
      name: 'list',
      summary: 'List groups',
      flags: {},
      examples: ['quotagate groups list'],
      async run(input) {
        const groups = await listGroups(await input.store());
        const rows = groups.map((group) => [
          group.id,
          group.name,
          group.billingMode,
          String(group.rateMultiplier),
          group.billingMode === 'subscription' ? limit(group.dailyLimitNano) : '-',
          group.billingMode === 'subscription' ? limit(group.weeklyLimitNano) : '-',
          group.billingMode === 'subscription' ? limit(group.monthlyLimitNano) : '-',
        ]);
        return {
          json: groups,
          text: renderTable(['ID', 'NAME', 'BILLING', 'MULTIPLIER', 'DAILY', 'WEEKLY', 'MONTHLY'], rows),
        };
      },
    },
    {
      name: 'show',
      summary: 'Show a group and the accounts serving it',
      flags: { group: { type: 'string', required: true, value: 'id', description: 'Group id' } },
      positional: 'group',
      examples: ['quotagate groups show default'],
      async run(input) {
        const details = await showGroup(await input.store(), input.text('group'));
        const accounts = renderTable(
          ['ID', 'NAME', 'TYPE', 'STATUS'],
          details.accounts.map((account) => [account.id, account.name, account.type, account.status]),
        );
        return { json: details, text: `${groupFields(details.group)}\n\nAccounts:\n${accounts}` };
      },
    },
    {
      name: 'set',
      summary: "Change a group's name, multiplier, billing mode or limits (none removes a limit)",
      flags: {
        group: { type: 'string', required: true, value: 'id', description: 'Group id' },
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
      async run(input) {
        const group = await updateGroup(await input.store(), input.text('group'), {
          ...groupChangeInput(input),
          ifVersion: ifVersionOf(input),
        });
        return { json: group, text: `Updated group ${group.id}.\n\n${groupFields(group)}` };
      },
    },
    {
      name: 'delete',
      summary: 'Delete a group no account, key or subscription uses (usage records keep its id)',
      flags: {
        group: { type: 'string', required: true, value: 'id', description: 'Group id' },
        ...ifVersionFlag,
      },
      positional: 'group',
      examples: ['quotagate groups delete trial'],
      async run(input) {
        const result = await deleteGroup(await input.store(), input.text('group'), {
          ifVersion: ifVersionOf(input),
        });
        return { json: result, text: `Deleted group ${result.id}; its usage history stays.` };
      },
    },
  ],
};
