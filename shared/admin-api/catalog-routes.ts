/**
 * Groups, subscriptions and price overrides.
 *
 * - `GET /admin/v1/groups`, `POST /admin/v1/groups` `{id?, name, rateMultiplier?, billingMode?,
 *   dailyLimitUsd?, weeklyLimitUsd?, monthlyLimitUsd?}`, `GET /admin/v1/groups/{id}`,
 *   `PATCH /admin/v1/groups/{id}` (the same fields but `id`, a limit `none` removes it; If-Match
 *   or `version` pins the change), `DELETE /admin/v1/groups/{id}` (a group nothing uses; If-Match
 *   optional)
 * - `GET /admin/v1/subscriptions?user=`, `POST /admin/v1/subscriptions` `{userId, groupId, until}`,
 *   `PATCH /admin/v1/subscriptions/{userId}/{groupId}` `{until}` (If-Match optional),
 *   `POST /admin/v1/subscriptions/{userId}/{groupId}/cancel`
 * - `GET /admin/v1/prices`, `POST /admin/v1/prices` `{model, input, cachedInput, output}` (USD per
 *   1M tokens; `*` is the default price), `PATCH /admin/v1/prices/{model}` `{input, cachedInput,
 *   output}` (If-Match optional), `DELETE /admin/v1/prices/{model}` (If-Match optional)
 */
import { createGroup, deleteGroup, listGroups, showGroup, updateGroup } from '../admin/groups.ts';
import {
  assignSubscription,
  cancelSubscription,
  extendSubscription,
  listSubscriptions,
} from '../admin/subscriptions.ts';
import {
  expectedVersion,
  type JsonObject,
  readBody,
  refuseVersion,
  requiredText,
  scalar,
  text,
} from './input.ts';
import { priceRoutes } from './price-routes.ts';
import { type AdminRoute, createRoute, item, param, showRoute } from './routes.ts';

/** The group fields POST and PATCH share (`name` is required on POST), in the order they are read. */
const GROUP_FIELDS = [
  'name',
  'rateMultiplier',
  'billingMode',
  'dailyLimitUsd',
  'weeklyLimitUsd',
  'monthlyLimitUsd',
];

/** A group's settings from a POST or PATCH body; absent fields stay `undefined` (unchanged). */
function groupSettings(body: JsonObject) {
  return {
    rateMultiplier: scalar(body, 'rateMultiplier'),
    billingMode: text(body, 'billingMode'),
    dailyLimitUsd: scalar(body, 'dailyLimitUsd'),
    weeklyLimitUsd: scalar(body, 'weeklyLimitUsd'),
    monthlyLimitUsd: scalar(body, 'monthlyLimitUsd'),
  };
}

const groupRoutes: AdminRoute[] = [
  {
    method: 'GET',
    pattern: '/admin/v1/groups',
    handle: async ({ deps }) => ({ body: { data: await listGroups(deps.store) } }),
  },
  createRoute('/admin/v1/groups', ['id', ...GROUP_FIELDS], (store, body) =>
    createGroup(store, { id: text(body, 'id'), name: requiredText(body, 'name'), ...groupSettings(body) }),
  ),
  showRoute('/admin/v1/groups/{id}', showGroup, (details) => details.group),
  {
    method: 'PATCH',
    pattern: '/admin/v1/groups/{id}',
    async handle(context) {
      const body = readBody(context.request, [...GROUP_FIELDS, 'version']);
      const group = await updateGroup(context.deps.store, param(context, 'id'), {
        name: text(body, 'name'),
        ...groupSettings(body),
        ifVersion: expectedVersion(context.request, body),
      });
      return item(group);
    },
  },
  {
    method: 'DELETE',
    pattern: '/admin/v1/groups/{id}',
    async handle(context) {
      const ifVersion = expectedVersion(context.request);
      return { body: await deleteGroup(context.deps.store, param(context, 'id'), { ifVersion }) };
    },
  },
];

const subscriptionRoutes: AdminRoute[] = [
  {
    method: 'GET',
    pattern: '/admin/v1/subscriptions',
    async handle({ request, deps }) {
      const user = request.query.user;
      return { body: { data: await listSubscriptions(deps.store, user === '' ? undefined : user) } };
    },
  },
  createRoute('/admin/v1/subscriptions', ['userId', 'groupId', 'until'], (store, body) =>
    assignSubscription(store, {
      userId: requiredText(body, 'userId'),
      groupId: requiredText(body, 'groupId'),
      until: requiredText(body, 'until'),
    }),
  ),
  {
    method: 'PATCH',
    pattern: '/admin/v1/subscriptions/{userId}/{groupId}',
    async handle(context) {
      const body = readBody(context.request, ['until', 'version']);
      const ifVersion = expectedVersion(context.request, body);
      const subscription = await extendSubscription(
        context.deps.store,
        {
          userId: param(context, 'userId'),
          groupId: param(context, 'groupId'),
          until: requiredText(body, 'until'),
        },
        { ifVersion },
      );
      return item(subscription);
    },
  },
  {
    method: 'POST',
    pattern: '/admin/v1/subscriptions/{userId}/{groupId}/cancel',
    async handle(context) {
      const body = readBody(context.request, []);
      refuseVersion(context.request, body, 'cancelling is final and cancelling twice changes nothing.');
      const subscription = await cancelSubscription(context.deps.store, {
        userId: param(context, 'userId'),
        groupId: param(context, 'groupId'),
      });
      return item(subscription);
    },
  },
];

export const catalogRoutes: AdminRoute[] = [...groupRoutes, ...subscriptionRoutes, ...priceRoutes];
