/**
 * What a route of the admin API is: a method, a path pattern with `{name}` segments, and a
 * handler that gets the request, the decoded path parameters and the dependencies, and returns
 * a status and a JSON payload. Handlers call the shared admin operations; they never spell a key
 * or talk to DynamoDB themselves.
 *
 * @example
 * ```ts
 * const route: AdminRoute = { method: 'GET', pattern: '/admin/v1/users/{id}',
 *   handle: async ({ params, deps }) => ({ body: await showUser(deps.store, params.id ?? '') }) };
 * ```
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AlertAdminStore } from '../store/alert-store.ts';
import type { ConfigAdmin } from '../store/config-admin.ts';
import type { OpsErrorLog } from '../store/ops-log.ts';
import type { AdminPriceStore } from '../store/prices.ts';
import type { SlotStore } from '../store/slots.ts';
import type { UsageAggregateReader, UsageRecordSource } from '../store/usage-reader.ts';
import type { AdminRequest } from './http.ts';
import { expectedVersion, type JsonObject, readBody, statusChange } from './input.ts';

export interface AdminApiDeps {
  store: ConfigAdmin;
  prices: AdminPriceStore;
  /** Daily aggregates, and the records themselves for summaries and listings. */
  usage: UsageAggregateReader & UsageRecordSource;
  /** Live slot leases and wait tickets, for an account's in-flight count. */
  slots: Pick<SlotStore, 'live'>;
  ops: Pick<OpsErrorLog, 'query'>;
  /** Recent alerts and the alert defaults. */
  alerts: AlertAdminStore;
  logger: Pick<Logger, 'info' | 'error'>;
  now: () => number;
}

export interface RouteContext {
  request: AdminRequest;
  params: Readonly<Record<string, string>>;
  deps: AdminApiDeps;
}

export interface RouteResult {
  /** 200 unless given. */
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface AdminRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  pattern: string;
  handle: (context: RouteContext) => Promise<RouteResult>;
}

/** The path parameter `name`; patterns guarantee it is present and non-empty. */
export function param(context: RouteContext, name: string): string {
  return context.params[name] ?? '';
}

/** A result for one versioned item: its version goes out as the ETag for the next If-Match. */
export function item(body: unknown, status = 200): RouteResult {
  const version = (body as { version?: unknown } | null)?.version;
  return typeof version === 'number' ? { status, body, headers: { etag: `"${version}"` } } : { status, body };
}

/**
 * `POST` that creates one item from the body's `fields` (any other field is refused, before
 * anything is written) and answers 201 with the item and its version as the ETag.
 *
 * @example
 * ```ts
 * createRoute('/admin/v1/users', ['email'], (store, body) => createUser(store, { email: requiredText(body, 'email') }));
 * ```
 */
export function createRoute(
  pattern: string,
  fields: readonly string[],
  create: (store: ConfigAdmin, body: JsonObject) => Promise<unknown>,
): AdminRoute {
  return {
    method: 'POST',
    pattern,
    handle: async ({ request, deps }) => item(await create(deps.store, readBody(request, fields)), 201),
  };
}

/**
 * `GET` of one item with what belongs to it (`/…/{id}`): the details are the body, and the item's
 * version is the ETag a following `PATCH` pins with If-Match.
 */
export function showRoute<Details>(
  pattern: string,
  show: (store: ConfigAdmin, id: string) => Promise<Details>,
  itemOf: (details: Details) => unknown,
): AdminRoute {
  return {
    method: 'GET',
    pattern,
    async handle(context) {
      const details = await show(context.deps.store, param(context, 'id'));
      return { ...item(itemOf(details)), body: details };
    },
  };
}

/**
 * `PATCH` of an item that has a status (users, accounts): `{status}` alone enables or disables
 * it, the route's other `fields` change it through `update`; If-Match or the body's `version`
 * pins either change.
 *
 * @example
 * ```ts
 * statusPatchRoute('/admin/v1/users/{id}', ['concurrency'], setUserStatus, (store, id, body, ifVersion) =>
 *   updateUser(store, id, { concurrency: scalar(body, 'concurrency'), ifVersion }),
 * );
 * ```
 */
export function statusPatchRoute(
  pattern: string,
  fields: readonly string[],
  setStatus: (
    store: ConfigAdmin,
    id: string,
    status: 'active' | 'disabled',
    options: { ifVersion?: number | undefined },
  ) => Promise<unknown>,
  update: (
    store: ConfigAdmin,
    id: string,
    body: JsonObject,
    ifVersion: number | undefined,
  ) => Promise<unknown>,
): AdminRoute {
  return {
    method: 'PATCH',
    pattern,
    async handle(context) {
      const body = readBody(context.request, [...fields, 'status', 'version']);
      const ifVersion = expectedVersion(context.request, body);
      const newStatus = statusChange(body);
      const id = param(context, 'id');
      const { store } = context.deps;
      if (newStatus !== undefined) return item(await setStatus(store, id, newStatus, { ifVersion }));
      return item(await update(store, id, body, ifVersion));
    },
  };
}
