/**
 * Users: search by email or id, create one, and per user: top up (with an idempotency key, so
 * a retried click applies once), concurrency, low-balance alert, disable/enable, archive, their
 * keys and subscriptions. Archived users are listed only when asked for.
 */
import { useState } from 'preact/hooks';
import { api, idempotencyKey } from '../api.ts';
import { type Column, DataTable, Outcome, Section, useAction, useLoad } from '../components.tsx';
import { time, usd, usdInput } from '../format.ts';
import { ActionForm, ConfirmButton, Field, Select, StatusButton, useForm } from '../forms.tsx';
import { Details, pickColumn, type RowPanelProps } from '../row-panel.tsx';
import type { ApiKey, List, Subscription, User } from '../types.ts';

const statusOf = (user: User) => (user.archivedAt ? 'archived' : user.status);

/** The picked user, their keys and subscriptions; `remove` archives them. */
function UserDetails({ row: user, onChanged, remove }: RowPanelProps<User>) {
  const path = `/users/${encodeURIComponent(user.id)}`;
  const details = useLoad(
    () => api<{ user: User; keys: ApiKey[]; subscriptions: Subscription[] }>('GET', path),
    [user.id, user.version, user.balanceNano],
  );
  const { outcome, run } = useAction(onChanged);
  const { form, set, bind } = useForm({
    amount: '',
    concurrency: String(user.concurrency),
    lowBalanceAlertUsd: usdInput(user.lowBalanceAlertNano),
    keyName: '',
  });
  // One key per intended top-up: a retry of the same click (or a resubmitted form) reuses it.
  const [topUpKey, setTopUpKey] = useState(idempotencyKey);
  const [secret, setSecret] = useState<string | undefined>();
  const patch = (body: Record<string, unknown>, done: string) =>
    run(() => api('PATCH', path, { body: { ...body, version: user.version ?? 0 } }), done);
  return (
    <Details label={`User ${user.email}`} title={user.email}>
      <p>
        {user.id} · {statusOf(user)} · balance <strong data-testid="balance">{usd(user.balanceNano)}</strong>{' '}
        · concurrency {user.concurrency || 'unlimited'} · low-balance alert{' '}
        {user.lowBalanceAlertNano === undefined ? 'default' : usd(user.lowBalanceAlertNano)}
      </p>
      <ActionForm
        onSubmit={() =>
          run(async () => {
            await api('POST', `${path}/balance`, {
              body: { amountUsd: form.amount.trim() },
              headers: { 'idempotency-key': topUpKey },
            });
            set('amount')('');
            setTopUpKey(idempotencyKey());
          }, `Added ${form.amount} USD to ${user.email}.`)
        }
      >
        <Field label="Top-up amount (USD)" {...bind('amount')} placeholder="10" required />
        <button type="submit">Top up</button>
      </ActionForm>
      <ActionForm
        onSubmit={() =>
          patch(
            { concurrency: form.concurrency.trim() },
            `Concurrency of ${user.email} set to ${form.concurrency}.`,
          )
        }
      >
        <Field label="Concurrency (0: unlimited)" {...bind('concurrency')} />
        <button type="submit">Set concurrency</button>
      </ActionForm>
      <ActionForm
        onSubmit={() =>
          patch(
            { lowBalanceAlertUsd: form.lowBalanceAlertUsd.trim() || 'none' },
            `Low-balance alert of ${user.email} saved.`,
          )
        }
      >
        <Field label="Alert below balance (USD, empty: default)" {...bind('lowBalanceAlertUsd')} />
        <button type="submit">Set alert</button>
      </ActionForm>
      <div class="inline">
        {!user.archivedAt && (
          <StatusButton
            status={user.status}
            noun="user"
            change={(status) =>
              patch({ status }, `${user.email} ${status === 'active' ? 'enabled' : 'disabled'}.`)
            }
          />
        )}
        {user.archivedAt ? (
          <button
            type="button"
            onClick={() =>
              run(
                () => api('POST', `${path}/unarchive`, { body: {} }),
                `${user.email} unarchived (still disabled).`,
              )
            }
          >
            Unarchive user
          </button>
        ) : (
          <ConfirmButton
            question={`Archive ${user.email}? Their keys stop working and they leave the lists; balance, keys and usage history stay.`}
            action={() => remove(user)}
          >
            Archive user
          </ConfirmButton>
        )}
      </div>
      {!user.archivedAt && (
        <ActionForm
          onSubmit={() =>
            run(async () => {
              const name = form.keyName.trim();
              const created = await api<{ key: string }>('POST', '/keys', {
                body: { userId: user.id, ...(name ? { name } : {}) },
              });
              setSecret(created.key);
              set('keyName')('');
              await details.reload();
            }, 'Key created: copy it now, it is shown only once.')
          }
        >
          <Field label="New key name" {...bind('keyName')} />
          <button type="submit">Create key</button>
        </ActionForm>
      )}
      {secret && (
        <p class="secret">
          New key: <code data-testid="new-key">{secret}</code>
        </p>
      )}
      <Outcome {...outcome} />
      <DataTable
        caption={`Keys of ${user.email}`}
        rows={details.data?.keys}
        rowKey={(key) => key.id}
        columns={[
          { label: 'Key', cell: (key) => `${key.name || key.id} (${key.prefix}…)` },
          { label: 'Status', cell: (key) => (key.revokedAt ? 'revoked' : key.status) },
          { label: 'Spent', cell: (key) => usd(key.usedNano ?? 0), numeric: true },
        ]}
      />
      <DataTable
        caption={`Subscriptions of ${user.email}`}
        rows={details.data?.subscriptions}
        rowKey={(sub) => sub.groupId}
        columns={[
          { label: 'Group', cell: (sub) => sub.groupId },
          { label: 'Status', cell: (sub) => sub.status },
          { label: 'Until', cell: (sub) => time(sub.expiresAt) },
        ]}
      />
    </Details>
  );
}

export function UsersPage() {
  const [archived, setArchived] = useState('exclude');
  const users = useLoad(() => api<List<User>>('GET', '/users', { query: { archived } }), [archived]);
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<string | undefined>();
  const { form, bind, setForm } = useForm({ email: '', balanceUsd: '' });
  const { outcome, run } = useAction(users.reload);
  const listAction = useAction(users.reload);
  const archive = (user: User) =>
    listAction.run(
      () => api('POST', `/users/${encodeURIComponent(user.id)}/archive`, { body: {} }),
      `${user.email} archived.`,
    );
  const needle = search.trim().toLowerCase();
  const rows = users.data?.data.filter(
    (user) =>
      needle === '' || user.email.toLowerCase().includes(needle) || user.id.toLowerCase().includes(needle),
  );
  const chosen = users.data?.data.find((user) => user.id === selected);
  const columns: Column<User>[] = [
    { label: 'Email', cell: (user) => user.email },
    { label: 'Status', cell: statusOf },
    { label: 'Balance', cell: (user) => usd(user.balanceNano), numeric: true },
    { label: 'Concurrency', cell: (user) => user.concurrency || 'unlimited', numeric: true },
    pickColumn(
      'Manage',
      (user) => `Manage ${user.email}`,
      (user) => setSelected(user.id),
    ),
  ];
  return (
    <>
      <h1>Users</h1>
      <Outcome error={users.error} />
      <Section title="New user">
        <ActionForm
          onSubmit={() =>
            run(async () => {
              const balance = form.balanceUsd.trim();
              const user = await api<User>('POST', '/users', {
                body: { email: form.email.trim(), ...(balance ? { balanceUsd: balance } : {}) },
              });
              setSelected(user.id);
              setForm({ email: '', balanceUsd: '' });
            }, `User ${form.email} created.`)
          }
        >
          <Field label="Email" type="email" {...bind('email')} required />
          <Field label="Starting balance (USD)" {...bind('balanceUsd')} />
          <button type="submit">Create user</button>
        </ActionForm>
        <Outcome {...outcome} />
      </Section>
      <Section title="All users">
        <div class="inline">
          <Field
            label="Search users"
            type="search"
            value={search}
            onInput={setSearch}
            placeholder="email or id"
          />
          <Select
            label="Archived users"
            value={archived}
            onChange={setArchived}
            options={[
              { value: 'exclude', label: 'hidden' },
              { value: 'include', label: 'shown too' },
              { value: 'only', label: 'only them' },
            ]}
          />
        </div>
        <Outcome {...listAction.outcome} />
        <DataTable caption="Users" columns={columns} rows={rows} rowKey={(user) => user.id} />
      </Section>
      {chosen && <UserDetails key={chosen.id} row={chosen} onChanged={users.reload} remove={archive} />}
    </>
  );
}
