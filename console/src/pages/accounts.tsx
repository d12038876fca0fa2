/**
 * Accounts: health at a glance (state and why, cooldown, Codex 5 h / 7 d windows, in-flight
 * slots) and the account's settings: create, priority, concurrency, model mapping, groups,
 * disable/enable, clear an error. The "New account" form is new-account.tsx.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { type Column, DataTable, Outcome, useAction, useLoad } from '../components.tsx';
import { short, time } from '../format.ts';
import { ActionForm, ConfirmButton, Field, StatusButton, useForm } from '../forms.tsx';
import { Details, pickColumn, type RowPanelProps } from '../row-panel.tsx';
import type { Account, AccountHealth, CodexWindow, List } from '../types.ts';
import { CreateAccount } from './new-account.tsx';

interface Row {
  account: Account;
  health: AccountHealth | undefined;
}

const path = (id: string) => `/accounts/${encodeURIComponent(id)}`;

function codex(window: CodexWindow | null | undefined): string {
  if (!window || window.usedPercent === null) return '—';
  return `${window.usedPercent}%${window.resetsAt ? ` until ${time(window.resetsAt)}` : ''}`;
}

function mappingText(mapping: Record<string, string>): string {
  return Object.entries(mapping)
    .map(([from, to]) => `${from}=${to}`)
    .join(', ');
}

function mappingOf(text: string): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const [from, to] = pair.split('=').map((part) => part.trim());
    if (from) mapping[from] = to || from;
  }
  return mapping;
}

/** The picked account's settings; `remove` deletes it. */
function EditAccount({ row: account, onChanged, remove }: RowPanelProps<Account>) {
  const { outcome, run } = useAction(onChanged);
  const { form, bind } = useForm({
    priority: String(account.priority),
    concurrency: String(account.concurrency),
    mapping: mappingText(account.modelMapping),
    group: '',
  });
  return (
    <Details label={`Account ${account.name}`} title={account.name}>
      <p>
        {account.id} · {account.type} · {account.status} · groups {account.groupIds.join(', ') || 'none'}
      </p>
      <ActionForm
        onSubmit={() =>
          run(
            () =>
              api('PATCH', path(account.id), {
                body: {
                  priority: form.priority,
                  concurrency: form.concurrency,
                  modelMapping: mappingOf(form.mapping),
                  version: account.version ?? 0,
                },
              }),
            `${account.name} saved.`,
          )
        }
      >
        <Field label="Priority (lower first)" {...bind('priority')} />
        <Field label="Concurrency" {...bind('concurrency')} />
        <Field label="Model mapping (from=to, …)" {...bind('mapping')} placeholder="gpt-5=gpt-5.1" />
        <button type="submit">Save account</button>
      </ActionForm>
      <ActionForm
        onSubmit={() =>
          run(
            () => api('POST', `${path(account.id)}/groups`, { body: { groupId: form.group.trim() } }),
            `${account.name} joined ${form.group}.`,
          )
        }
      >
        <Field label="Add to group" {...bind('group')} placeholder="group id" required />
        <button type="submit">Add group</button>
      </ActionForm>
      <div class="inline">
        {account.groupIds.map((id) => (
          <button
            type="button"
            key={id}
            onClick={() =>
              run(
                () => api('DELETE', `${path(account.id)}/groups/${encodeURIComponent(id)}`),
                `${account.name} left ${id}.`,
              )
            }
          >
            Remove from {id}
          </button>
        ))}
        <StatusButton
          status={account.status}
          noun="account"
          change={(status) =>
            run(
              () => api('PATCH', path(account.id), { body: { status } }),
              `${account.name} ${status === 'active' ? 'enabled' : 'disabled'}.`,
            )
          }
        />
        <button
          type="button"
          onClick={() =>
            run(() => api('POST', `${path(account.id)}/clear`, { body: {} }), `${account.name} back to ok.`)
          }
        >
          Clear health
        </button>
        {account.status === 'disabled' && (
          <ConfirmButton
            question={`Delete account ${account.name} and its credentials for good? Its usage history stays.`}
            action={() => remove(account)}
          >
            Delete account
          </ConfirmButton>
        )}
      </div>
      <Outcome {...outcome} />
    </Details>
  );
}

export function AccountsPage() {
  const rows = useLoad(async (): Promise<Row[]> => {
    const { data } = await api<List<Account>>('GET', '/accounts');
    const health = await Promise.all(
      data.map((account) => api<AccountHealth>('GET', `${path(account.id)}/health`).catch(() => undefined)),
    );
    return data.map((account, index) => ({ account, health: health[index] }));
  }, []);
  const [selected, setSelected] = useState<string | undefined>();
  const chosen = rows.data?.find((row) => row.account.id === selected)?.account;
  const removal = useAction(rows.reload);
  const remove = (account: Account) =>
    removal.run(() => api('DELETE', path(account.id)), `Account ${account.name} deleted.`);
  const columns: Column<Row>[] = [
    { label: 'Account', cell: ({ account }) => `${account.name} (${account.type})` },
    { label: 'Status', cell: ({ account }) => account.status },
    {
      label: 'State',
      cell: ({ health }) => (health ? `${health.state}${health.schedulable ? '' : ' · not scheduled'}` : '—'),
    },
    {
      label: 'Why',
      cell: ({ health }) => <span title={health?.reason ?? ''}>{short(health?.reason ?? '', 60)}</span>,
    },
    {
      label: 'Cooldown until',
      cell: ({ health }) => (health?.coolingDown ? time(health.until ?? undefined) : '—'),
    },
    { label: 'Codex 5 h', cell: ({ health }) => codex(health?.codexUsage?.fiveHour) },
    { label: 'Codex 7 d', cell: ({ health }) => codex(health?.codexUsage?.sevenDay) },
    {
      label: 'In flight',
      cell: ({ health }) =>
        health ? `${health.inFlight}/${health.concurrency} (+${health.waiting} waiting)` : '—',
      numeric: true,
    },
    { label: 'Priority', cell: ({ account }) => account.priority, numeric: true },
    pickColumn(
      'Manage',
      ({ account }) => `Manage ${account.name}`,
      ({ account }) => setSelected(account.id),
    ),
  ];
  return (
    <>
      <h1>Accounts</h1>
      <Outcome error={rows.error} />
      <Outcome {...removal.outcome} />
      <DataTable
        caption="Upstream accounts"
        columns={columns}
        rows={rows.data}
        rowKey={({ account }) => account.id}
      />
      {chosen && <EditAccount key={chosen.id} row={chosen} onChanged={rows.reload} remove={remove} />}
      <CreateAccount onCreated={rows.reload} />
    </>
  );
}
