/**
 * Read-only reports:
 *
 * - `GET /admin/v1/usage?by=user|key|account|model&id=…&from=yyyy-mm-dd&to=yyyy-mm-dd`: daily
 *   aggregates and their total (default: this UTC month)
 * - `GET /admin/v1/ops?from&to&status&type&user&key&account&limit&cursor`: ops error records,
 *   newest first (default: the last 24 hours); `nextCursor` reads on
 * - `GET /admin/v1/usage/summary?from&to&bucket=hour|day&user&key&account&model&top`: requests,
 *   tokens, money and errors per hour or day, and the top users, keys, models and accounts
 *   (default: by hour over the last 24 hours)
 * - `GET /admin/v1/usage/records?from&to&user&key&account&model&limit&cursor`: usage records,
 *   oldest first (default: the last 24 hours, 100 records); `nextCursor` reads on
 */
import { parseOpsQuery } from '../ops/ops-query.ts';
import { listUsageRecords, parseRecordListing } from '../usage/record-listing.ts';
import { parseSummaryQuery } from '../usage/summary-query.ts';
import { summarizeUsage } from '../usage/usage-summary.ts';
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
  {
    method: 'GET',
    pattern: '/admin/v1/usage/summary',
    async handle({ request, deps }) {
      const query = parseSummaryQuery(request.query, deps.now());
      return { body: await summarizeUsage(query, { records: deps.usage, ops: deps.ops }) };
    },
  },
  {
    method: 'GET',
    pattern: '/admin/v1/usage/records',
    async handle({ request, deps }) {
      return { body: await listUsageRecords(parseRecordListing(request.query, deps.now()), deps.usage) };
    },
  },
];
