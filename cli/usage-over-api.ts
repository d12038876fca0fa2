/**
 * `quotagate usage export --api <url>`: the same records as on the tables, read a page at a time
 * from the admin API's `GET /admin/v1/usage/records` (oldest first, 1,000 a page, following
 * `nextCursor`), with the users' emails from one `GET /admin/v1/users`. What is written is then
 * exactly what `usage export` writes from the tables.
 *
 * @example
 * ```ts
 * const api = httpTransport({ url, token });
 * await writeUsageRecords(recordsOverApi(api, { from, to }), { …, emailOf: emailsOverApi(api) });
 * ```
 */

import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import type { RecordFilter } from '#shared/store/usage-reader.ts';
import type { RecordPage } from '#shared/usage/record-listing.ts';
import type { AdminApi } from './admin-api-client.ts';

/** Records per page: the listing's maximum. */
const PAGE_SIZE = 1000;

export async function* recordsOverApi(
  api: AdminApi,
  range: RecordFilter & { from: number; to: number },
  pageSize = PAGE_SIZE,
): AsyncGenerator<UsageRecord> {
  let cursor: string | undefined;
  do {
    const page = await api.call<RecordPage>('GET', '/admin/v1/usage/records', {
      query: {
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
        user: range.userId,
        key: range.apiKeyId,
        account: range.accountId,
        limit: String(pageSize),
        cursor,
      },
    });
    yield* page.data;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
}

/** Every user's email from one listing, read on the first lookup. */
export function emailsOverApi(api: AdminApi): (userId: string) => Promise<string | undefined> {
  let emails: Promise<Map<string, string>> | undefined;
  return async (userId) => {
    emails ??= api
      .call<{ data: { id: string; email: string }[] }>('GET', '/admin/v1/users')
      .then(({ data }) => new Map(data.map((user) => [user.id, user.email])));
    return (await emails).get(userId);
  };
}
