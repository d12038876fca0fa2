/**
 * Read-only reports:
 *
 * - `GET /admin/v1/usage?by=user|key|account|model&id=…&from=yyyy-mm-dd&to=yyyy-mm-dd`: daily
 *   aggregates and their total (default: this UTC month)
 * - `GET /admin/v1/ops?from&to&status&type&user&key&account&limit&cursor`: ops error records,
 *   newest first (default: the last 24 hours); `nextCursor` reads on
 */
import { parseOpsQuery } from '../ops/ops-query.ts';
import type { AdminRoute } from './routes.ts';
import { parseUsageQuery, usageByDay } from './usage-query.ts';

export const reportRoutes: AdminRoute[] = [
  {
    method: 'GET',
    pattern: '/admin/v1/usage',
    async handle({ request, deps }) {
      const query = parseUsageQuery(request.query, deps.now());
      return { body: await usageByDay(deps.usage, query) };
    },
  },
  {
    method: 'GET',
    pattern: '/admin/v1/ops',
    async handle({ request, deps }) {
      const page = await deps.ops.query(parseOpsQuery(request.query, deps.now()));
      return { body: { data: page.records, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) } };
    },
  },
];
