/**
 * `quotagate subscriptions …`: assign, extend, list, cancel.
 */

import { isSubscriptionActive } from '#shared/admin/subscriptions.ts';
import type { Subscription } from '#shared/domain/types.ts';
import type { Stored } from '#shared/store/config-admin.ts';
import {
  type Command,
  type CommandGroup,
  type CommandInput,
  defineCommand,
  type FlagSpec,
} from '../command.ts';
import { renderTable, time, usd } from '../output.ts';
import { idFlag, userFlag } from './shared-flags.ts';

const groupFlag = idFlag('Subscription group id');
const untilFlag: FlagSpec = {
  type: 'string',
  required: true,
  value: 'date',
  description: 'End, as an ISO date (00:00 UTC) or date-time',
};

function state(subscription: Subscription): string {
  if (subscription.status === 'disabled') return 'cancelled';
  return isSubscriptionActive(subscription) ? 'active' : 'ended';
}

export function renderSubscriptionsTable(subscriptions: Stored<Subscription>[]): string {
  const rows = subscriptions.map((subscription) => [
    subscription.userId,
    subscription.groupId,
    state(subscription),
    time(subscription.expiresAt),
    usd(subscription.usedNano ?? 0),
  ]);
  return renderTable(['USER', 'GROUP', 'STATE', 'UNTIL', 'USED'], rows);
}

function summary(subscription: Stored<Subscription>): string {
  return `Subscription of ${subscription.userId} to ${subscription.groupId}: ${state(subscription)} until ${time(subscription.expiresAt)}.`;
}

/** The path of the subscription `--user` and `--group` name. */
const subscriptionPath = (input: CommandInput) =>
  `/admin/v1/subscriptions/${input.id('user')}/${input.id('group')}`;

/** A command that changes one subscription and says what it is now. */
const change = (command: Omit<Command<Stored<Subscription>>, 'render'>) =>
  defineCommand<Stored<Subscription>>({ ...command, render: summary });

export const subscriptionsCommands: CommandGroup = {
  name: 'subscriptions',
  summary: 'Give users time-limited access to subscription groups',
  commands: [
    change({
      name: 'assign',
      summary: 'Subscribe a user to a subscription group until a date',
      flags: { user: userFlag, group: groupFlag, until: untilFlag },
      examples: ['quotagate subscriptions assign --user usr_8k2m4q9z1x0c --group pro --until 2027-01-01'],
      run: (api, input) =>
        api.call('POST', '/admin/v1/subscriptions', {
          body: { userId: input.text('user'), groupId: input.text('group'), until: input.text('until') },
        }),
    }),
    change({
      name: 'extend',
      summary: 'Move the end date of a subscription (re-activates a cancelled one)',
      flags: { user: userFlag, group: groupFlag, until: untilFlag },
      examples: ['quotagate subscriptions extend --user usr_8k2m4q9z1x0c --group pro --until 2027-06-30'],
      run: (api, input) =>
        api.call('PATCH', subscriptionPath(input), { body: { until: input.text('until') } }),
    }),
    defineCommand<Stored<Subscription>[]>({
      name: 'list',
      summary: "List a user's subscriptions (everyone's without --user)",
      flags: { user: { ...userFlag, required: false } },
      positional: 'user',
      examples: ['quotagate subscriptions list --user usr_8k2m4q9z1x0c', 'quotagate subscriptions list'],
      run: (api, input) => api.list('/admin/v1/subscriptions', { user: input.optionalText('user') }),
      render: renderSubscriptionsTable,
    }),
    change({
      name: 'cancel',
      summary: 'End a subscription now',
      flags: { user: userFlag, group: groupFlag },
      examples: ['quotagate subscriptions cancel --user usr_8k2m4q9z1x0c --group pro'],
      run: (api, input) => api.call('POST', `${subscriptionPath(input)}/cancel`),
    }),
  ],
};
