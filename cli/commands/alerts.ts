/**
 * `quotagate alerts …`: the low-balance, key quota and key budget alerts raised lately, and the
 * defaults users and keys without their own alert by (docs/operations.md). A user's own
 * threshold is `users set --low-balance-alert`, a key's own percent `keys set --alert-percent`.
 */
import type { AlertDefaultsView } from '#shared/admin/alerts.ts';
import type { Alert } from '#shared/alerts/alert.ts';
import { type CommandGroup, defineCommand } from '../command.ts';
import { renderFields, renderTable, time, usd } from '../output.ts';

const DEFAULTS_PATH = '/admin/v1/alerts/defaults';

function what(alert: Alert): string {
  if (alert.kind === 'low_balance') return `balance ${usd(alert.valueNano)} < ${usd(alert.limitNano)}`;
  const limit = alert.kind === 'key_quota' ? 'quota' : `${alert.period} budget`;
  return `${alert.percent} % of ${limit}: ${usd(alert.valueNano)} of ${usd(alert.limitNano)}`;
}

function renderDefaults(defaults: AlertDefaultsView): string {
  return renderFields([
    [
      'Low-balance alert',
      defaults.lowBalanceAlertNano === undefined
        ? 'none (only users with their own)'
        : usd(defaults.lowBalanceAlertNano),
    ],
    ['Key alert percent', `${defaults.effectiveKeyAlertPercent} % and 100 %`],
  ]);
}

export const alertsCommands: CommandGroup = {
  name: 'alerts',
  summary: 'Low-balance and key quota/budget alerts, and their defaults',
  commands: [
    defineCommand<Alert[]>({
      name: 'list',
      summary: 'The alerts raised lately, newest first',
      flags: {
        days: { type: 'string', value: 'n', description: 'Days back, 1 to 30 (default 7)' },
        limit: { type: 'string', value: 'n', description: 'Most alerts shown, 1 to 500 (default 100)' },
      },
      examples: ['quotagate alerts list', 'quotagate alerts list --days 30'],
      run: (api, input) =>
        api.list('/admin/v1/alerts', {
          days: input.optionalText('days'),
          limit: input.optionalText('limit'),
        }),
      render: (alerts) =>
        renderTable(
          ['AT', 'KIND', 'USER', 'KEY', 'WHAT', 'PUBLISHED'],
          alerts.map((alert) => [
            time(alert.at),
            alert.kind,
            alert.email ?? alert.userId,
            alert.apiKeyId ?? '-',
            what(alert),
            alert.publishedAt ? 'yes' : 'not yet',
          ]),
        ),
    }),
    defineCommand<AlertDefaultsView>({
      name: 'defaults',
      summary: 'Show what users and keys without their own threshold alert by',
      flags: {},
      examples: ['quotagate alerts defaults'],
      run: (api) => api.call('GET', DEFAULTS_PATH),
      render: renderDefaults,
    }),
    defineCommand<AlertDefaultsView>({
      name: 'set-defaults',
      summary: 'Set the default low-balance threshold and key alert percent (none removes one)',
      flags: {
        'low-balance': { type: 'string', value: 'usd', description: 'Alert below this balance, or none' },
        'key-percent': {
          type: 'string',
          value: 'n',
          description: 'Alert keys at n % of their quota or budget (and at 100 %), or none for 80',
        },
      },
      examples: ['quotagate alerts set-defaults --low-balance 5 --key-percent 90'],
      run: (api, input) =>
        api.call('PUT', DEFAULTS_PATH, {
          body: {
            lowBalanceAlertUsd: input.optionalText('low-balance'),
            keyAlertPercent: input.optionalText('key-percent'),
          },
        }),
      render: renderDefaults,
    }),
  ],
};
