/** Errors: the ops error log (refused and failed requests of known callers), newest first, filtered. */
import { api } from '../api.ts';
import { DataTable, Outcome, Pager, useFilters, useLoad } from '../components.tsx';
import { short, time } from '../format.ts';
import { ActionForm, Field } from '../forms.tsx';
import type { List, OpsRecord } from '../types.ts';

const EMPTY = { from: '', to: '', status: '', type: '', user: '', key: '', account: '' };

export function ErrorsPage() {
  const { bind, filters, apply, paging } = useFilters(EMPTY);
  const { cursor } = paging;
  const page = useLoad(
    () => api<List<OpsRecord>>('GET', '/ops', { query: { ...filters, limit: '100', cursor } }),
    [filters, cursor],
  );
  return (
    <>
      <h1>Errors</h1>
      <ActionForm label="Error filters" filters onSubmit={apply}>
        <Field label="From (day or ISO time)" {...bind('from')} placeholder="last 24 hours" />
        <Field label="To (day or ISO time)" {...bind('to')} placeholder="now" />
        <Field label="Status (429 or 5xx)" {...bind('status')} />
        <Field label="Error type" {...bind('type')} />
        <Field label="User id" {...bind('user')} />
        <Field label="Key id" {...bind('key')} />
        <Field label="Account id" {...bind('account')} />
        <button type="submit">Apply filters</button>
      </ActionForm>
      <Outcome error={page.error} />
      <DataTable
        caption="Ops error log"
        rows={page.data?.data}
        rowKey={(record) => record.requestId}
        empty="No errors in this range."
        columns={[
          { label: 'Time', cell: (record) => time(record.time) },
          { label: 'Status', cell: (record) => record.status, numeric: true },
          { label: 'Type', cell: (record) => record.errorType },
          {
            label: 'Message',
            cell: (record) => <span title={record.message}>{short(record.message, 100)}</span>,
          },
          { label: 'User', cell: (record) => record.userId ?? '' },
          { label: 'Key', cell: (record) => record.apiKeyId ?? '' },
          { label: 'Account', cell: (record) => record.accountId ?? '' },
          { label: 'Request id', cell: (record) => <code>{record.requestId}</code> },
        ]}
      />
      <Pager back={paging.back} forward={paging.forward(page.data?.nextCursor)} />
    </>
  );
}
