/**
 * Users and their API keys:
 *
 * - `GET /admin/v1/users?archived=exclude|include|only` (archived users hidden by default),
 *   `POST /admin/v1/users` `{email, concurrency?, balanceUsd?}`
 * - `POST /admin/v1/users/{id}/archive` (disabled, hidden, history kept; repeating changes
 *   nothing), `POST /admin/v1/users/{id}/unarchive` (listed again, still disabled)
 * - `GET /admin/v1/users/{id}` (with keys and subscriptions), `PATCH /admin/v1/users/{id}`
 *   `{balanceUsd?, concurrency?, lowBalanceAlertUsd?}` or `{status}` (If-Match / `version` pins
 *   the change)
 * - `POST /admin/v1/users/{id}/balance` `{amountUsd}`: an atomic addition (negative deducts);
 *   with an `Idempotency-Key` header it applies once, and a retry gets the same answer with
 *   `idempotent-replayed: true`
 * - `GET /admin/v1/users/{id}/keys`, `POST /admin/v1/keys` `{userId, groupId?, name?, expiresAt?,
 *   quotaUsd?, allowedModels?, allowedIps?, requestsPerMinute?, budgetUsd?, budgetPeriod?}` (the secret is in this response and nowhere else, ever),
 *   `POST /admin/v1/keys/{id}/revoke`
 */
import { AdminError } from '../admin/admin-error.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../admin/api-keys.ts';
import { parseArchivedFilter } from '../admin/archived.ts';
import {
  addToUserBalance,
  archiveUser,
  createUser,
  listUsers,
  setUserStatus,
  showUser,
  unarchiveUser,
  updateUser,
} from '../admin/users.ts';
import { expectedVersion, readBody, refuseVersion, requiredText, scalar, stringList, text } from './input.ts';
import { type AdminRoute, createRoute, item, param, showRoute, statusPatchRoute } from './routes.ts';

export const userRoutes: AdminRoute[] = [
  {
    method: 'GET',
    pattern: '/admin/v1/users',
    handle: async ({ request, deps }) => ({
      body: { data: await listUsers(deps.store, parseArchivedFilter(request.query.archived)) },
    }),
  },
  ...(['archive', 'unarchive'] as const).map(
    (action): AdminRoute => ({
      method: 'POST',
      pattern: `/admin/v1/users/{id}/${action}`,
      async handle(context) {
        const body = readBody(context.request, ['version']);
        const ifVersion = expectedVersion(context.request, body);
        const change = action === 'archive' ? archiveUser : unarchiveUser;
        return item(await change(context.deps.store, param(context, 'id'), { ifVersion }));
      },
    }),
  ),
  createRoute('/admin/v1/users', ['email', 'concurrency', 'balanceUsd'], (store, body) =>
    createUser(store, {
      email: requiredText(body, 'email'),
      concurrency: scalar(body, 'concurrency'),
      balanceUsd: scalar(body, 'balanceUsd'),
    }),
  ),
  showRoute('/admin/v1/users/{id}', showUser, (details) => details.user),
  statusPatchRoute(
    '/admin/v1/users/{id}',
    ['balanceUsd', 'concurrency', 'lowBalanceAlertUsd'],
    setUserStatus,
    (store, id, body, ifVersion) =>
      updateUser(store, id, {
        balanceUsd: scalar(body, 'balanceUsd'),
        concurrency: scalar(body, 'concurrency'),
        lowBalanceAlertUsd: scalar(body, 'lowBalanceAlertUsd'),
        ifVersion,
      }),
  ),
  {
    method: 'POST',
    pattern: '/admin/v1/users/{id}/balance',
    async handle(context) {
      const body = readBody(context.request, ['amountUsd']);
      refuseVersion(context.request, body, 'adding to a balance is atomic and never overwrites a change.');
      const amount = scalar(body, 'amountUsd');
      if (amount === undefined) throw AdminError.invalid('Field "amountUsd" is required.');
      const idempotencyKey = context.request.headers['idempotency-key'];
      const { user, replayed } = await addToUserBalance(context.deps.store, param(context, 'id'), amount, {
        idempotencyKey,
      });
      const result = item(user);
      return replayed ? { ...result, headers: { ...result.headers, 'idempotent-replayed': 'true' } } : result;
    },
  },
  {
    method: 'GET',
    pattern: '/admin/v1/users/{id}/keys',
    handle: async (context) => ({
      body: { data: await listApiKeys(context.deps.store, param(context, 'id')) },
    }),
  },
  {
    method: 'POST',
    pattern: '/admin/v1/keys',
    async handle({ request, deps }) {
      const body = readBody(request, [
        'userId',
        'groupId',
        'name',
        'expiresAt',
        'quotaUsd',
        'allowedModels',
        'allowedIps',
        'requestsPerMinute',
        'budgetUsd',
        'budgetPeriod',
      ]);
      const { key, secret } = await createApiKey(deps.store, {
        userId: requiredText(body, 'userId'),
        groupId: text(body, 'groupId'),
        name: text(body, 'name'),
        expiresAt: text(body, 'expiresAt'),
        quotaUsd: scalar(body, 'quotaUsd'),
        allowedModels: stringList(body, 'allowedModels'),
        allowedIps: stringList(body, 'allowedIps'),
        requestsPerMinute: scalar(body, 'requestsPerMinute'),
        budgetUsd: scalar(body, 'budgetUsd'),
        budgetPeriod: text(body, 'budgetPeriod'),
      });
      // The same shape as `quotagate keys create --json`: the key's view plus its secret, once.
      return item({ ...key, key: secret }, 201);
    },
  },
  {
    method: 'POST',
    pattern: '/admin/v1/keys/{id}/revoke',
    async handle(context) {
      const body = readBody(context.request, []);
      refuseVersion(context.request, body, 'revoking is final and revoking twice changes nothing.');
      return item(await revokeApiKey(context.deps.store, param(context, 'id')));
    },
  },
];
