/**
 * Users: search by email or id, create one, and per user: top up (with an idempotency key, so
 * a retried click applies once), concurrency, disable/enable, their keys and subscriptions.
 */
import { useState } from 'preact/hooks';
import { api, idempotencyKey } from '../api.ts';
import {
  type Column,
  DataTable,
  Field,
  Outcome,
  pickColumn,
  Section,
  useAction,
  useLoad,
} from '../components.tsx';
import { time, usd } from '../format.ts';
import type { ApiKey, List, Subscription, User } from '../types.ts';

function UserDetails({ user, onChanged }: { user: User; onChanged: () => void }) {
  const details = useLoad(
    () =>
      api<{ user: User; keys: ApiKey[]; subscriptions: Subscription[] }>(
        'GET',
        `/users/${encodeURIComponent(user.id)}`,
      ),
    [user.id, user.version, user.balanceNano],
  );
  const { outcome, run } = useAction(onChanged);
  const [amount, setAmount] = useState('');
  // One key per intended top-up: a retry of the same click (or a resubmitted form) reuses it.
  const [topUpKey, setTopUpKey] = useState(idempotencyKey);
  const [concurrency, setConcurrency] = useState(String(user.concurrency));
  const [keyName, setKeyName] = useState('');
  const [secret, setSecret] = useState<string | undefined>();
  return (
    <section class="details" aria-label={`User ${user.email}`}>
      <h3>{user.email}</h3>
      <p>
        {user.id} · {user.status} · balance <strong data-testid="balance">{usd(user.balanceNano)}</strong> ·
        concurrency {user.concurrency || 'unlimited'}
      </p>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          run(async () => {
            await api('POST', `/users/${encodeURIComponent(user.id)}/balance`, {
              body: { amountUsd: amount.trim() },
              headers: { 'idempotency-key': topUpKey },
            });
            setAmount('');
            setTopUpKey(idempotencyKey());
          }, `Added ${amount} USD to ${user.email}.`);
        }}
      >
        <Field label="Top-up amount (USD)" value={amount} onInput={setAmount} placeholder="10" required />
        <button type="submit">Top up</button>
      </form>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          run(
            () =>
              api('PATCH', `/users/${encodeURIComponent(user.id)}`, {
                body: { concurrency: concurrency.trim(), version: user.version ?? 0 },
              }),
            `Concurrency of ${user.email} set to ${concurrency}.`,
          );
        }}
      >
        <Field label="Concurrency (0: unlimited)" value={concurrency} onInput={setConcurrency} />
        <button type="submit">Set concurrency</button>
      </form>
      <div class="inline">
        <button
          type="button"
          onClick={() =>
            run(
              () =>
                api('PATCH', `/users/${encodeURIComponent(user.id)}`, {
                  body: { status: user.status === 'active' ? 'disabled' : 'active' },
                }),
              `${user.email} ${user.status === 'active' ? 'disabled' : 'enabled'}.`,
            )
          }
        >
          {user.status === 'active' ? 'Disable user' : 'Enable user'}
        </button>
      </div>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          run(async () => {
            const created = await api<{ key: string }>('POST', '/keys', {
              body: { userId: user.id, ...(keyName.trim() ? { name: keyName.trim() } : {}) },
            });
            setSecret(created.key);
            setKeyName('');
            details.reload();
          }, 'Key created: copy it now, it is shown only once.');
        }}
      >
        <Field label="New key name" value={keyName} onInput={setKeyName} />
        <button type="submit">Create key</button>
      </form>
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
    </section>
  );
}

export function UsersPage() {
  const users = useLoad(() => api<List<User>>('GET', '/users'), []);
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<string | undefined>();
  const [email, setEmail] = useState('');
  const [balance, setBalance] = useState('');
  const { outcome, run } = useAction(users.reload);
  const needle = search.trim().toLowerCase();
  const rows = users.data?.data.filter(
    (user) =>
      needle === '' || user.email.toLowerCase().includes(needle) || user.id.toLowerCase().includes(needle),
  );
  const chosen = users.data?.data.find((user) => user.id === selected);
  const columns: Column<User>[] = [
    { label: 'Email', cell: (user) => user.email },
    { label: 'Status', cell: (user) => user.status },
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
        <form
          class="inline"
          onSubmit={(event) => {
            event.preventDefault();
            run(async () => {
              const user = await api<User>('POST', '/users', {
                body: { email: email.trim(), ...(balance.trim() ? { balanceUsd: balance.trim() } : {}) },
              });
              setSelected(user.id);
              setEmail('');
              setBalance('');
            }, `User ${email} created.`);
          }}
        >
          <Field label="Email" type="email" value={email} onInput={setEmail} required />
          <Field label="Starting balance (USD)" value={balance} onInput={setBalance} />
          <button type="submit">Create user</button>
        </form>
        <Outcome {...outcome} />
      </Section>
      <Section title="All users">
        <Field
          label="Search users"
          type="search"
          value={search}
          onInput={setSearch}
          placeholder="email or id"
        />
        <DataTable caption="Users" columns={columns} rows={rows} rowKey={(user) => user.id} />
      </Section>
      {chosen && <UserDetails user={chosen} onChanged={users.reload} />}
    </>
  );
}
