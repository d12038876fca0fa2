/** Keys: every key of every user with its spend and quota, expiry and models; disable, enable, revoke. */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { type Column, DataTable, Field, Outcome, useAction, useLoad } from '../components.tsx';
import { time, usd } from '../format.ts';
import type { ApiKey, List, User } from '../types.ts';

export function KeysPage() {
  const keys = useLoad(() => api<List<ApiKey>>('GET', '/keys'), []);
  const users = useLoad(() => api<List<User>>('GET', '/users'), []);
  const [search, setSearch] = useState('');
  const { outcome, run } = useAction(keys.reload);
  const email = (id: string) => users.data?.data.find((user) => user.id === id)?.email ?? id;
  const needle = search.trim().toLowerCase();
  const rows = keys.data?.data.filter((key) =>
    needle === ''
      ? true
      : [key.id, key.name, key.prefix, key.userId, email(key.userId)].some((text) =>
          text.toLowerCase().includes(needle),
        ),
  );
  const setStatus = (key: ApiKey, status: 'active' | 'disabled') =>
    run(
      () => api('PATCH', `/keys/${encodeURIComponent(key.id)}`, { body: { status } }),
      `Key ${key.name || key.id} ${status === 'active' ? 'enabled' : 'disabled'}.`,
    );
  const columns: Column<ApiKey>[] = [
    { label: 'Key', cell: (key) => <span title={key.id}>{`${key.name || key.id} (${key.prefix}…)`}</span> },
    { label: 'User', cell: (key) => email(key.userId) },
    { label: 'Group', cell: (key) => key.groupId },
    { label: 'Status', cell: (key) => (key.revokedAt ? 'revoked' : key.status) },
    { label: 'Spent', cell: (key) => usd(key.usedNano ?? 0), numeric: true },
    {
      label: 'Quota',
      cell: (key) => (key.quotaNano === undefined ? 'none' : usd(key.quotaNano)),
      numeric: true,
    },
    { label: 'Expires', cell: (key) => time(key.expiresAt) },
    { label: 'Models', cell: (key) => key.allowedModels?.join(', ') || 'any' },
    {
      label: 'Actions',
      cell: (key) =>
        key.revokedAt ? (
          '—'
        ) : (
          <span class="actions">
            {key.status === 'active' ? (
              <button
                type="button"
                onClick={() => setStatus(key, 'disabled')}
                aria-label={`Disable key ${key.name || key.id}`}
              >
                Disable
              </button>
            ) : (
              <button
                type="button"
                onClick={() => setStatus(key, 'active')}
                aria-label={`Enable key ${key.name || key.id}`}
              >
                Enable
              </button>
            )}
            <button
              type="button"
              class="danger"
              aria-label={`Revoke key ${key.name || key.id}`}
              onClick={() => {
                if (confirm(`Revoke key ${key.name || key.id} for good?`)) {
                  run(
                    () => api('POST', `/keys/${encodeURIComponent(key.id)}/revoke`, { body: {} }),
                    `Key ${key.name || key.id} revoked.`,
                  );
                }
              }}
            >
              Revoke
            </button>
          </span>
        ),
    },
  ];
  return (
    <>
      <h1>Keys</h1>
      <Outcome error={keys.error} />
      <Outcome {...outcome} />
      <Field
        label="Search keys"
        type="search"
        value={search}
        onInput={setSearch}
        placeholder="name, id, prefix or user"
      />
      <DataTable caption="All keys" columns={columns} rows={rows} rowKey={(key) => key.id} />
    </>
  );
}
