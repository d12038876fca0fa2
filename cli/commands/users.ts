/**
 * `quotagate users …`: create, list, show, set, add-balance, disable, enable, archive, unarchive.
 */

import type { UserDetails } from '#shared/admin/users.ts';
import type { User } from '#shared/domain/types.ts';
import type { Stored } from '#shared/store/config-admin.ts';
import { type CommandGroup, type CommandInput, defineCommand } from '../command.ts';
import { orDash, renderFields, renderTable, time, usd } from '../output.ts';
import { renderKeysTable } from './keys.ts';
import { archivedFlag, ifVersionFlag, userFlag, versionPin } from './shared-flags.ts';
import { renderSubscriptionsTable } from './subscriptions.ts';

const userPath = (input: CommandInput) => `/admin/v1/users/${input.id('user')}`;
/** The flags `users create` and `users set` both take, by the API's field names. */
const USER_FIELDS = { balanceUsd: 'balance', concurrency: 'concurrency' };

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
    ['Low-balance alert', user.lowBalanceAlertNano === undefined ? 'default' : usd(user.lowBalanceAlertNano)],
    ['Created', time(user.createdAt)],
    ['Archived', user.archivedAt === undefined ? '-' : time(user.archivedAt)],
    ['Version', orDash(user.version)],
  ]);
}

const statusCommand = (name: 'disable' | 'enable') =>
  defineCommand<Stored<User>>({
    name,
    summary:
      name === 'disable' ? 'Disable a user (every key of theirs is refused)' : 'Enable a disabled user',
    flags: { user: userFlag },
    positional: 'user',
    examples: [`quotagate users ${name} usr_8k2m4q9z1x0c`],
    run: (api, input) =>
      api.call('PATCH', userPath(input), { body: { status: name === 'disable' ? 'disabled' : 'active' } }),
    render: (user) => userSummary(name === 'disable' ? 'Disabled' : 'Enabled', user),
  });

export const usersCommands: CommandGroup = {
  name: 'users',
  summary: 'People who own API keys: balance, concurrency, status',
  commands: [
    defineCommand<Stored<User>>({
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
      run: (api, input) =>
        api.call('POST', '/admin/v1/users', {
          body: { email: input.text('email'), ...input.fields(USER_FIELDS) },
        }),
      render: (user) => userSummary('Created', user),
    }),
    defineCommand<Stored<User>[]>({
      name: 'list',
      summary: 'List users',
      flags: { archived: archivedFlag },
      examples: ['quotagate users list', 'quotagate users list --archived only'],
      run: (api, input) => api.list('/admin/v1/users', { archived: input.optionalText('archived') }),
      render: (users) =>
        renderTable(
          ['ID', 'EMAIL', 'STATUS', 'CONCURRENCY', 'BALANCE', 'CREATED'],
          users.map((user) => [
            user.id,
            user.email,
            user.archivedAt === undefined ? user.status : 'archived',
            user.concurrency === 0 ? 'unlimited' : String(user.concurrency),
            usd(user.balanceNano),
            time(user.createdAt),
          ]),
        ),
    }),
    defineCommand<UserDetails>({
      name: 'show',
      summary: 'Show a user with their keys and subscriptions',
      flags: { user: userFlag },
      positional: 'user',
      examples: ['quotagate users show usr_8k2m4q9z1x0c'],
      run: (api, input) => api.call('GET', userPath(input)),
      render: (details) =>
        [
          userFields(details.user),
          '',
          'Keys:',
          renderKeysTable(details.keys),
          '',
          'Subscriptions:',
          renderSubscriptionsTable(details.subscriptions),
        ].join('\n'),
    }),
    defineCommand<Stored<User>>({
      name: 'set',
      summary: "Replace a user's balance, concurrency or low-balance alert threshold",
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
        'low-balance-alert': {
          type: 'string',
          value: 'usd',
          description: 'Alert when the balance falls below this, or none for the default',
        },
        ...ifVersionFlag,
      },
      positional: 'user',
      examples: [
        'quotagate users set --user usr_8k2m4q9z1x0c --balance 25 --concurrency 10',
        'quotagate users set usr_8k2m4q9z1x0c --low-balance-alert 2',
      ],
      run: (api, input) =>
        api.call('PATCH', userPath(input), {
          body: input.fields({ ...USER_FIELDS, lowBalanceAlertUsd: 'low-balance-alert' }),
          ...versionPin(input),
        }),
      render: (user) => userSummary('Updated', user),
    }),
    defineCommand<{ user: Stored<User>; replayed: boolean }>({
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
      async run(api, input) {
        const key = input.optionalText('idempotency-key');
        const answer = await api.send<Stored<User>>('POST', `${userPath(input)}/balance`, {
          body: { amountUsd: input.text('amount') },
          headers: key === undefined ? {} : { 'idempotency-key': key },
        });
        return { user: answer.body, replayed: answer.headers['idempotent-replayed'] === 'true' };
      },
      json: ({ user }) => user,
      render: ({ user, replayed }, input) =>
        userSummary(
          replayed
            ? `Already applied (idempotency key ${input.optionalText('idempotency-key')}):`
            : 'Updated',
          user,
        ),
    }),
    statusCommand('disable'),
    statusCommand('enable'),
    ...(['archive', 'unarchive'] as const).map((verb) =>
      defineCommand<Stored<User>>({
        name: verb,
        summary:
          verb === 'archive'
            ? 'Archive a user: disabled, hidden from listings, usage history kept'
            : 'List an archived user again (it stays disabled until enabled)',
        flags: { user: userFlag, ...ifVersionFlag },
        positional: 'user',
        examples: [`quotagate users ${verb} usr_8k2m4q9z1x0c`],
        run: (api, input) => api.call('POST', `${userPath(input)}/${verb}`, versionPin(input)),
        render: (user) => userSummary(verb === 'archive' ? 'Archived' : 'Unarchived', user),
      }),
    ),
  ],
};
