/**
 * Keys: every key of every user with its spend and quota, expiry, models and limits; disable,
 * enable, revoke, and a key's limits (IP allow-list, requests per minute, budget with its period,
 * alert percent). Keys of archived users are left out, as in the API.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { type Column, DataTable, Outcome, useAction, useLoad } from '../components.tsx';
import { time, usd, usdInput } from '../format.ts';
import { ActionForm, ConfirmButton, Field, Select, StatusButton, useForm } from '../forms.tsx';
import { Details, pickColumn } from '../row-panel.tsx';
import type { ApiKey, List, User } from '../types.ts';

const nameOf = (key: ApiKey) => key.name || key.id;

function limitsText(key: ApiKey): string {
  const parts = [
    key.allowedIps?.length ? `IPs ${key.allowedIps.join(', ')}` : '',
    key.requestsPerMinute ? `${key.requestsPerMinute}/min` : '',
    key.budget ? `${usd(key.budget.limitNano)} ${key.budget.period}` : '',
  ].filter(Boolean);
  return parts.join(' · ') || 'none';
}

/** The key's limits as a form: an emptied field removes its limit. */
function KeyLimits({ apiKey, onChanged }: { apiKey: ApiKey; onChanged: () => Promise<void> }) {
  const { outcome, run } = useAction(onChanged);
  const { form, set, bind } = useForm({
    allowedIps: apiKey.allowedIps?.join(', ') ?? '',
    requestsPerMinute: apiKey.requestsPerMinute === undefined ? '' : String(apiKey.requestsPerMinute),
    budgetUsd: usdInput(apiKey.budget?.limitNano),
    budgetPeriod: apiKey.budget?.period ?? 'monthly',
    alertPercent: apiKey.alertPercent === undefined ? '' : String(apiKey.alertPercent),
  });
  const none = (value: string) => value.trim() || 'none';
  return (
    <Details label={`Limits of key ${nameOf(apiKey)}`} title={`Limits of ${nameOf(apiKey)}`}>
      <ActionForm
        onSubmit={() => {
          const budget = form.budgetUsd.trim();
          const body = {
            allowedIps: none(form.allowedIps),
            requestsPerMinute: none(form.requestsPerMinute),
            alertPercent: none(form.alertPercent),
            ...(budget ? { budgetUsd: budget, budgetPeriod: form.budgetPeriod } : { budgetUsd: 'none' }),
            version: apiKey.version ?? 0,
          };
          run(
            () => api('PATCH', `/keys/${encodeURIComponent(apiKey.id)}`, { body }),
            `Limits of ${nameOf(apiKey)} saved.`,
          );
        }}
      >
        <Field
          label="Allowed IPs (CIDR, comma-separated; empty: anywhere)"
          {...bind('allowedIps')}
          placeholder="203.0.113.0/24"
        />
        <Field label="Requests per minute (empty: no limit)" {...bind('requestsPerMinute')} />
        <Field label="Budget (USD, empty: none)" {...bind('budgetUsd')} />
        <Select
          label="Budget period"
          value={form.budgetPeriod}
          onChange={set('budgetPeriod')}
          options={['daily', 'weekly', 'monthly']}
        />
        <Field label="Alert at percent of quota or budget (empty: default)" {...bind('alertPercent')} />
        <button type="submit">Save limits</button>
      </ActionForm>
      <Outcome {...outcome} />
    </Details>
  );
}

export function KeysPage() {
  const keys = useLoad(() => api<List<ApiKey>>('GET', '/keys'), []);
  const users = useLoad(() => api<List<User>>('GET', '/users'), []);
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<string | undefined>();
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
  const chosen = keys.data?.data.find((key) => key.id === selected);
  const path = (key: ApiKey) => `/keys/${encodeURIComponent(key.id)}`;
  const pick = pickColumn<ApiKey>(
    'Set limits',
    (key) => `Set limits of key ${nameOf(key)}`,
    (key) => setSelected(key.id),
  );
  // A revoked key is refused whatever its limits: nothing to set.
  const limitsColumn: Column<ApiKey> = { ...pick, cell: (key) => (key.revokedAt ? '—' : pick.cell(key)) };
  const columns: Column<ApiKey>[] = [
    { label: 'Key', cell: (key) => <span title={key.id}>{`${nameOf(key)} (${key.prefix}…)`}</span> },
    { label: 'User', cell: (key) => email(key.userId) },
    { label: 'Group', cell: (key) => key.groupId },
    { label: 'Status', cell: (key) => (key.revokedAt ? 'revoked' : key.status) },
    { label: 'Spent', cell: (key) => usd(key.usedNano ?? 0), numeric: true },
    {
      label: 'Quota',
      cell: (key) => (key.quotaNano === undefined ? 'none' : usd(key.quotaNano)),
      numeric: true,
    },
    { label: 'Limits', cell: limitsText },
    { label: 'Expires', cell: (key) => time(key.expiresAt) },
    { label: 'Models', cell: (key) => key.allowedModels?.join(', ') || 'any' },
    {
      label: 'Actions',
      cell: (key) =>
        key.revokedAt ? (
          '—'
        ) : (
          <span class="actions">
            <StatusButton
              status={key.status}
              noun=""
              label={`key ${nameOf(key)}`}
              change={(status) =>
                run(
                  () => api('PATCH', path(key), { body: { status } }),
                  `Key ${nameOf(key)} ${status === 'active' ? 'enabled' : 'disabled'}.`,
                )
              }
            />
            <ConfirmButton
              label={`Revoke key ${nameOf(key)}`}
              question={`Revoke key ${nameOf(key)} for good?`}
              action={() =>
                run(() => api('POST', `${path(key)}/revoke`, { body: {} }), `Key ${nameOf(key)} revoked.`)
              }
            >
              Revoke
            </ConfirmButton>
          </span>
        ),
    },
    limitsColumn,
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
      {chosen && !chosen.revokedAt && <KeyLimits key={chosen.id} apiKey={chosen} onChanged={keys.reload} />}
    </>
  );
}
