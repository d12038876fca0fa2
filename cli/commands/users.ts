/**
 * `quotagate users …`: create, list, show, set, add-balance, disable, enable.
 */
import type { Stored } from '#shared/admin/config-admin.ts';
import {
  addToUserBalance,
  createUser,
  listUsers,
  setUserStatus,
  showUser,
  updateUser,
} from '#shared/admin/users.ts';
import type { User } from '#shared/domain/types.ts';
import type { Command, CommandGroup, CommandInput, FlagSpec } from '../command.ts';
import { orDash, renderFields, renderTable, time, usd } from '../output.ts';
import { renderKeysTable } from './keys.ts';
import { ifVersionFlag, ifVersionOf } from './shared-flags.ts';
import { renderSubscriptionsTable } from './subscriptions.ts';

const userFlag: FlagSpec = { type: 'string', required: true, value: 'id', description: 'User id (usr_…)' };

function userSummary(verb: string, user: Stored<User>): string {
  const concurrency = user.concurrency === 0 ? 'unlimited' : String(user.concurrency);
  return `${verb} user ${user.id} (${user.email}): ${user.status}, balance ${usd(user.balanceNano)}, concurrency ${concurrency}.`;
}

function userFields(user: Stored<User>): string {
  return renderFields([
    ['ID', user.id],
    ['Email', user.email],
    ['Status', user.status],
    ['Balance', usd(user.balanceNano)],
    ['Concurrency', user.concurrency === 0 ? 'unlimited' : String(user.concurrency)],
    ['Created', time(user.createdAt)],
    ['Version', orDash(user.version)],
  ]);
}

/** `users create`'s flags as the operation's input; `--api` sends the same fields. */
export function userCreateInput(input: CommandInput) {
  return {
    email: input.text('email'),
    concurrency: input.optionalText('concurrency'),
    balanceUsd: input.optionalText('balance'),
  };
}

/** `users set`'s changes (without the version); `--api` sends the same fields. */
export function userChangeInput(input: CommandInput) {
  return { balanceUsd: input.optionalText('balance'), concurrency: input.optionalText('concurrency') };
}

const statusCommand = (name: 'disable' | 'enable'): Command => ({
  name,
  summary: name === 'disable' ? 'Disable a user (every key of theirs is refused)' : 'Enable a disabled user',
  flags: { user: userFlag },
  positional: 'user',
  examples: [`quotagate users ${name} usr_8k2m4q9z1x0c`],
  async run(input: CommandInput) {
    const user = await setUserStatus(
      await input.store(),
      input.text('user'),
      name === 'disable' ? 'disabled' : 'active',
    );
    return { json: user, text: userSummary(name === 'disable' ? 'Disabled' : 'Enabled', user) };
  },
});

export const usersCommands: CommandGroup = {
  name: 'users',
  summary: 'People who own API keys: balance, concurrency, status',
  commands: [
    {
      name: 'create',
      summary: 'Create a user',
      flags: {
        email: { type: 'string', required: true, value: 'email', description: 'Email address (unique)' },
        concurrency: {
          type: 'string',
          value: 'n',
          description: 'Requests in flight at once (default 5, 0 = unlimited)',
        },
        balance: {
          type: 'string',
          value: 'usd',
          description: 'Starting balance in USD, e.g. 10 or 0.5 (default 0)',
        },
      },
      examples: ['quotagate users create --email ada@example.com --concurrency 5 --balance 10'],
      async run(input) {
        const user = await createUser(await input.store(), userCreateInput(input));
        return { json: user, text: userSummary('Created', user) };
      },
    },
    {
      name: 'list',
      summary: 'List users',
      flags: {},
      examples: ['quotagate users list'],
      async run(input) {
        const users = await listUsers(await input.store());
        const rows = users.map((user) => [
          user.id,
          user.email,
          user.status,
          user.concurrency === 0 ? 'unlimited' : String(user.concurrency),
          usd(user.balanceNano),
          time(user.createdAt),
        ]);
        return {
          json: users,
          text: renderTable(['ID', 'EMAIL', 'STATUS', 'CONCURRENCY', 'BALANCE', 'CREATED'], rows),
        };
      },
    },
    {
      name: 'show',
      summary: 'Show a user with their keys and subscriptions',
      flags: { user: userFlag },
      positional: 'user',
      examples: ['quotagate users show usr_8k2m4q9z1x0c'],
      async run(input) {
        const details = await showUser(await input.store(), input.text('user'));
        const text = [
          userFields(details.user),
          '',
          'Keys:',
          renderKeysTable(details.keys),
          '',
          'Subscriptions:',
          renderSubscriptionsTable(details.subscriptions),
        ].join('\n');
        return { json: details, text };
      },
    },
    {
      name: 'set',
      summary: "Replace a user's balance and/or concurrency",
      flags: {
        user: userFlag,
        balance: {
          type: 'string',
          value: 'usd',
          description: 'New balance in USD (replaces the current one)',
        },
        concurrency: {
          type: 'string',
          value: 'n',
          description: 'Requests in flight at once (0 = unlimited)',
        },
        ...ifVersionFlag,
      },
      positional: 'user',
      examples: ['quotagate users set --user usr_8k2m4q9z1x0c --balance 25 --concurrency 10'],
      async run(input) {
        const user = await updateUser(await input.store(), input.text('user'), {
          ...userChangeInput(input),
          ifVersion: ifVersionOf(input),
        });
        return { json: user, text: userSummary('Updated', user) };
      },
    },
    {
      name: 'add-balance',
      summary: 'Add USD to a balance atomically (negative to deduct)',
      flags: {
        user: userFlag,
        amount: {
          type: 'string',
          required: true,
          value: 'usd',
          description: 'USD to add, e.g. 5; to deduct write --amount=-5',
        },
        'idempotency-key': {
          type: 'string',
          value: 'key',
          description: 'Apply at most once for this key (e.g. a UUID): a retry with it adds nothing again',
        },
      },
      positional: 'user',
      examples: [
        'quotagate users add-balance --user usr_8k2m4q9z1x0c --amount 5',
        'quotagate users add-balance --user usr_8k2m4q9z1x0c --amount 5 --idempotency-key topup-2026-12-03-ada',
      ],
      async run(input) {
        const idempotencyKey = input.optionalText('idempotency-key');
        const { user, replayed } = await addToUserBalance(
          await input.store(),
          input.text('user'),
          input.text('amount'),
          { idempotencyKey },
        );
        const verb = replayed ? `Already applied (idempotency key ${idempotencyKey}):` : 'Updated';
        return { json: user, text: userSummary(verb, user) };
      },
    },
    statusCommand('disable'),
    statusCommand('enable'),
  ],
};
