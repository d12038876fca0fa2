/**
 * Usage: filters (range, user, key, account, model), the summary charts, the records as a table
 * a page at a time, and a CSV download of every record of the filter (the columns and quoting
 * of `quotagate usage export`, from the same module).
 */
import type { UsageRecord as FullRecord } from '#shared/recorder/usage-record.ts';
import { csvHeader, csvRow } from '#shared/usage/export.ts';
import { api } from '../api.ts';
import { DataTable, Outcome, Pager, Section, useAction, useFilters, useLoad } from '../components.tsx';
import { count, dayString, time, usd } from '../format.ts';
import { ActionForm, Field, Select } from '../forms.tsx';
import type { List, UsageRecord, UsageSummary, User } from '../types.ts';
import { UsageCharts } from '../usage-charts.tsx';

interface Filters {
  from: string;
  to: string;
  bucket: string;
  user: string;
  key: string;
  account: string;
  model: string;
}

function initialFilters(): Filters {
  const now = Date.now();
  return {
    from: dayString(now - 6 * 86_400_000),
    to: dayString(now),
    bucket: 'day',
    user: '',
    key: '',
    account: '',
    model: '',
  };
}

function query(filters: Filters) {
  const { bucket: _bucket, ...rest } = filters;
  return rest;
}

async function downloadCsv(filters: Filters): Promise<number> {
  const { data: users } = await api<List<User>>('GET', '/users');
  const emails = new Map(users.map((user) => [user.id, user.email]));
  const lines = [csvHeader()];
  let cursor: string | undefined;
  do {
    const page = await api<List<FullRecord>>('GET', '/usage/records', {
      query: { ...query(filters), limit: '1000', cursor },
    });
    for (const record of page.data) lines.push(csvRow(record, emails.get(record.userId)));
    cursor = page.nextCursor;
  } while (cursor);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob(lines, { type: 'text/csv' }));
  link.download = `quotagate-usage-${filters.from}-${filters.to}.csv`;
  link.click();
  URL.revokeObjectURL(link.href);
  return lines.length - 1;
}

export function UsagePage() {
  const { draft, set, bind, filters, apply, paging } = useFilters(initialFilters);
  const summary = useLoad(
    () =>
      api<UsageSummary>('GET', '/usage/summary', { query: { ...query(filters), bucket: filters.bucket } }),
    [filters],
  );
  const { cursor } = paging;
  const records = useLoad(
    () => api<List<UsageRecord>>('GET', '/usage/records', { query: { ...query(filters), cursor } }),
    [filters, cursor],
  );
  const { outcome, run } = useAction();
  return (
    <>
      <h1>Usage</h1>
      <ActionForm label="Usage filters" filters onSubmit={apply}>
        <Field label="From (UTC day)" type="date" {...bind('from')} />
        <Field label="To (UTC day)" type="date" {...bind('to')} />
        <Select label="By" value={draft.bucket} onChange={set('bucket')} options={['day', 'hour']} />
        <Field label="User id" {...bind('user')} />
        <Field label="Key id" {...bind('key')} />
        <Field label="Account id" {...bind('account')} />
        <Field label="Model" {...bind('model')} />
        <button type="submit">Apply filters</button>
        <button type="button" onClick={() => run(async () => downloadCsv(filters), 'CSV downloaded.')}>
          Download CSV
        </button>
      </ActionForm>
      <Outcome error={summary.error ?? records.error} />
      <Outcome {...outcome} />
      <Section title="Over time">
        {summary.data && (
          <UsageCharts summary={summary.data} title={`from ${filters.from} to ${filters.to}`} />
        )}
      </Section>
      <Section title="Records">
        <DataTable
          caption="Usage records"
          rows={records.data?.data}
          rowKey={(record) => record.requestId}
          empty="No usage in this range."
          columns={[
            { label: 'Started', cell: (record) => time(record.startedAt) },
            { label: 'User', cell: (record) => record.userId },
            { label: 'Key', cell: (record) => record.apiKeyId },
            { label: 'Account', cell: (record) => record.accountId },
            { label: 'Model', cell: (record) => record.modelRequested },
            { label: 'Status', cell: (record) => record.status, numeric: true },
            {
              label: 'Tokens in/out',
              cell: (record) => `${count(record.inputTokens)} / ${count(record.outputTokens)}`,
              numeric: true,
            },
            { label: 'Billed', cell: (record) => usd(record.billedNano), numeric: true },
            { label: 'ms', cell: (record) => count(record.durationMs), numeric: true },
          ]}
        />
        <Pager back={paging.back} forward={paging.forward(records.data?.nextCursor)} />
      </Section>
    </>
  );
}
