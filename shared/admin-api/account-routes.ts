/**
 * Upstream accounts. Credentials go in with `POST` and never come out of any route.
 *
 * - `GET /admin/v1/accounts`, `POST /admin/v1/accounts` `{type, name, baseUrl?, apiKey? |
 *   accessToken?, refreshToken?, chatgptAccountId?, expiresAt?, priority?, concurrency?, groupIds?,
 *   modelMapping?, customErrorCodes?, userAgent?, proxyUrl?}` (`proxyUrl` is sealed, never returned:
 *   the account shows `proxyEndpoint`)
 * - `GET /admin/v1/accounts/{id}`, `PATCH /admin/v1/accounts/{id}` `{priority?, concurrency?,
 *   modelMapping?, customErrorCodes?, userAgent?, proxyUrl?}` (`null` or `""` clears the last two) or `{status}` (If-Match / `version` pins the change)
 * - `POST /admin/v1/accounts/{id}/groups` `{groupId}`, `DELETE /admin/v1/accounts/{id}/groups/{groupId}`
 * - `GET /admin/v1/accounts/{id}/health`: state, reason, cooldown, Codex usage, in-flight slots
 * - `POST /admin/v1/accounts/{id}/clear`: health back to ok (If-Match optional)
 * - `DELETE /admin/v1/accounts/{id}`: a disabled account, for good (If-Match optional); usage
 *   records keep its id
 * - `POST /admin/v1/accounts/reseal`: seals the credentials of accounts stored before sealing
 *   (safe to repeat: sealed ones are skipped)
 */

import { createAccount, resealAccounts } from '../admin/account-create.ts';
import {
  addAccountToGroup,
  clearAccountHealth,
  deleteAccount,
  getAccount,
  listAccounts,
  removeAccountFromGroup,
  setAccountStatus,
  updateAccount,
} from '../admin/accounts.ts';
import { AdminError } from '../admin/admin-error.ts';
import { accountHealthReport } from './account-health.ts';
import {
  expectedVersion,
  type JsonObject,
  readBody,
  refuseVersion,
  requiredText,
  scalar,
  stringList,
  stringMap,
  text,
} from './input.ts';
import { type AdminRoute, createRoute, item, param, statusPatchRoute } from './routes.ts';

function modelMapping(body: JsonObject): string[] | string | Record<string, unknown> | undefined {
  const value = body.modelMapping;
  if (Array.isArray(value)) return stringList(body, 'modelMapping') as string[];
  return stringMap(body, 'modelMapping');
}

/** `[401, 429]`, `["401"]` or `"401,429"`; `[]` removes the custom codes. */
function errorCodes(body: JsonObject): string | (string | number)[] | undefined {
  const value = body.customErrorCodes;
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((code) => typeof code === 'number' || typeof code === 'string'))
    return value as (string | number)[];
  throw AdminError.invalid('Field "customErrorCodes" must be a list of HTTP statuses such as [401, 429].');
}

/** A text field where `null` (or `""`) clears the value: the account's default comes back. */
function clearableText(body: JsonObject, field: string): string | undefined {
  return body[field] === null ? '' : text(body, field);
}

export const accountRoutes: AdminRoute[] = [
  {
    method: 'GET',
    pattern: '/admin/v1/accounts',
    handle: async ({ deps }) => ({ body: { data: await listAccounts(deps.store) } }),
  },
  createRoute(
    '/admin/v1/accounts',
    [
      'type',
      'name',
      'baseUrl',
      'apiKey',
      'accessToken',
      'refreshToken',
      'chatgptAccountId',
      'expiresAt',
      'priority',
      'concurrency',
      'groupIds',
      'modelMapping',
      'customErrorCodes',
      'userAgent',
      'proxyUrl',
    ],
    (store, body) =>
      createAccount(store, {
        type: requiredText(body, 'type'),
        name: requiredText(body, 'name'),
        baseUrl: text(body, 'baseUrl'),
        apiKey: text(body, 'apiKey'),
        accessToken: text(body, 'accessToken'),
        refreshToken: text(body, 'refreshToken'),
        chatgptAccountId: text(body, 'chatgptAccountId'),
        expiresAt: text(body, 'expiresAt'),
        priority: scalar(body, 'priority'),
        concurrency: scalar(body, 'concurrency'),
        groupIds: stringList(body, 'groupIds'),
        modelMapping: modelMapping(body),
        customErrorCodes: errorCodes(body),
        userAgent: text(body, 'userAgent'),
        proxyUrl: text(body, 'proxyUrl'),
      }),
  ),
  {
    method: 'POST',
    pattern: '/admin/v1/accounts/reseal',
    async handle({ request, deps }) {
      readBody(request, []);
      return { body: await resealAccounts(deps.store) };
    },
  },
  {
    method: 'GET',
    pattern: '/admin/v1/accounts/{id}',
    handle: async (context) => item(await getAccount(context.deps.store, param(context, 'id'))),
  },
  statusPatchRoute(
    '/admin/v1/accounts/{id}',
    ['priority', 'concurrency', 'modelMapping', 'customErrorCodes', 'userAgent', 'proxyUrl'],
    setAccountStatus,
    (store, id, body, ifVersion) =>
      updateAccount(store, id, {
        priority: scalar(body, 'priority'),
        concurrency: scalar(body, 'concurrency'),
        modelMapping: modelMapping(body),
        customErrorCodes: errorCodes(body),
        userAgent: clearableText(body, 'userAgent'),
        proxyUrl: clearableText(body, 'proxyUrl'),
        ifVersion,
      }),
  ),
  {
    method: 'POST',
    pattern: '/admin/v1/accounts/{id}/groups',
    async handle(context) {
      const body = readBody(context.request, ['groupId']);
      refuseVersion(context.request, body, 'membership changes re-read the account and cannot lose an edit.');
      const groupId = requiredText(body, 'groupId');
      return item(await addAccountToGroup(context.deps.store, param(context, 'id'), groupId));
    },
  },
  {
    method: 'DELETE',
    pattern: '/admin/v1/accounts/{id}/groups/{groupId}',
    async handle(context) {
      refuseVersion(context.request, {}, 'membership changes re-read the account and cannot lose an edit.');
      const account = await removeAccountFromGroup(
        context.deps.store,
        param(context, 'id'),
        param(context, 'groupId'),
      );
      return item(account);
    },
  },
  {
    method: 'GET',
    pattern: '/admin/v1/accounts/{id}/health',
    handle: async (context) => ({ body: await accountHealthReport(context.deps, param(context, 'id')) }),
  },
  {
    method: 'POST',
    pattern: '/admin/v1/accounts/{id}/clear',
    async handle(context) {
      const body = readBody(context.request, ['version']);
      const ifVersion = expectedVersion(context.request, body);
      return item(await clearAccountHealth(context.deps.store, param(context, 'id'), { ifVersion }));
    },
  },
  {
    method: 'DELETE',
    pattern: '/admin/v1/accounts/{id}',
    async handle(context) {
      const ifVersion = expectedVersion(context.request);
      return { body: await deleteAccount(context.deps.store, param(context, 'id'), { ifVersion }) };
    },
  },
];
