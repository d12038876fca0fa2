/**
 * API keys across users:
 *
 * - `GET /admin/v1/keys?user=`: every key of every user (or of one user), oldest first
 * - `PATCH /admin/v1/keys/{id}` `{status: "active"|"disabled"}`: disable a key for a while or
 *   enable it again (a revoked key stays disabled); If-Match / `version` pins the change
 *
 * Creating and revoking keys are in `user-routes.ts`.
 */

import { AdminError } from '../admin/admin-error.ts';
import { listAllApiKeys, listApiKeys, setApiKeyStatus } from '../admin/api-keys.ts';
import { expectedVersion, readBody, statusChange } from './input.ts';
import { type AdminRoute, item, param } from './routes.ts';

export const keyRoutes: AdminRoute[] = [
  {
    method: 'GET',
    pattern: '/admin/v1/keys',
    async handle({ request, deps }) {
      const user = request.query.user?.trim();
      return {
        body: { data: user ? await listApiKeys(deps.store, user) : await listAllApiKeys(deps.store) },
      };
    },
  },
  {
    method: 'PATCH',
    pattern: '/admin/v1/keys/{id}',
    async handle(context) {
      const body = readBody(context.request, ['status', 'version']);
      const status = statusChange(body);
      if (status === undefined)
        throw AdminError.invalid('Field "status" is required: "active" or "disabled".');
      const ifVersion = expectedVersion(context.request, body);
      return item(await setApiKeyStatus(context.deps.store, param(context, 'id'), status, { ifVersion }));
    },
  },
];
