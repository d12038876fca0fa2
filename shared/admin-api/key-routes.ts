/**
 * API keys across users:
 *
 * - `GET /admin/v1/keys?user=&archived=`: every key of every user (or of one user), oldest
 *   first; archived users' keys only with `archived=include|only`
 * - `PATCH /admin/v1/keys/{id}` `{status: "active"|"disabled"}`: disable a key for a while or
 *   enable it again (a revoked key stays disabled); or `{allowedIps?, requestsPerMinute?,
 *   budgetUsd?, budgetPeriod?, alertPercent?}` (`"none"` removes one); If-Match / `version` pins
 *   the change
 *
 * Creating and revoking keys are in `user-routes.ts`.
 */

import { listAllApiKeys, listApiKeys, setApiKeyLimits, setApiKeyStatus } from '../admin/api-keys.ts';
import { parseArchivedFilter } from '../admin/archived.ts';
import { expectedVersion, readBody, scalar, statusChange, stringList, text } from './input.ts';
import { type AdminRoute, item, param } from './routes.ts';

const LIMIT_FIELDS = [
  'allowedIps',
  'requestsPerMinute',
  'budgetUsd',
  'budgetPeriod',
  'alertPercent',
] as const;

export const keyRoutes: AdminRoute[] = [
  {
    method: 'GET',
    pattern: '/admin/v1/keys',
    async handle({ request, deps }) {
      const user = request.query.user?.trim();
      const archived = parseArchivedFilter(request.query.archived);
      return {
        body: {
          data: user ? await listApiKeys(deps.store, user) : await listAllApiKeys(deps.store, archived),
        },
      };
    },
  },
  {
    method: 'PATCH',
    pattern: '/admin/v1/keys/{id}',
    async handle(context) {
      const body = readBody(context.request, [...LIMIT_FIELDS, 'status', 'version']);
      const status = statusChange(body);
      const ifVersion = expectedVersion(context.request, body);
      const id = param(context, 'id');
      if (status !== undefined) {
        return item(await setApiKeyStatus(context.deps.store, id, status, { ifVersion }));
      }
      // Neither a status nor a limit: setApiKeyLimits refuses with the sentence the CLI prints.
      const limits = {
        allowedIps: stringList(body, 'allowedIps'),
        requestsPerMinute: scalar(body, 'requestsPerMinute'),
        budgetUsd: scalar(body, 'budgetUsd'),
        budgetPeriod: text(body, 'budgetPeriod'),
        alertPercent: scalar(body, 'alertPercent'),
        ifVersion,
      };
      return item(await setApiKeyLimits(context.deps.store, id, limits));
    },
  },
];
