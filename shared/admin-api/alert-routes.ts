/**
 * Alerts (docs/operations.md, "Low-balance and budget alerts"):
 *
 * - `GET /admin/v1/alerts?days=7&limit=100`: the alerts raised in the last days, newest first
 * - `GET /admin/v1/alerts/defaults`, `PUT /admin/v1/alerts/defaults` `{lowBalanceAlertUsd?,
 *   keyAlertPercent?}` (`"none"` removes one): what users and keys without their own alert by
 *
 * A user's own threshold is `PATCH /admin/v1/users/{id}` `{lowBalanceAlertUsd}`, a key's own
 * percent `PATCH /admin/v1/keys/{id}` `{alertPercent}`.
 */
import { getAlertDefaults, listAlerts, setAlertDefaults } from '../admin/alerts.ts';
import { readBody, scalar } from './input.ts';
import type { AdminRoute } from './routes.ts';

export const alertRoutes: AdminRoute[] = [
  {
    method: 'GET',
    pattern: '/admin/v1/alerts',
    handle: async ({ request, deps }) => ({
      body: await listAlerts(
        deps.alerts,
        { days: request.query.days, limit: request.query.limit },
        deps.now(),
      ),
    }),
  },
  {
    method: 'GET',
    pattern: '/admin/v1/alerts/defaults',
    handle: async ({ deps }) => ({ body: await getAlertDefaults(deps.alerts) }),
  },
  {
    method: 'PUT',
    pattern: '/admin/v1/alerts/defaults',
    async handle({ request, deps }) {
      const body = readBody(request, ['lowBalanceAlertUsd', 'keyAlertPercent']);
      return {
        body: await setAlertDefaults(deps.alerts, {
          lowBalanceAlertUsd: scalar(body, 'lowBalanceAlertUsd'),
          keyAlertPercent: scalar(body, 'keyAlertPercent'),
        }),
      };
    },
  },
];
