/** Groups: multiplier, billing mode and subscription limits; create one; the subscriptions. */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import {
  DataTable,
  Field,
  Outcome,
  pickColumn,
  Section,
  Select,
  useAction,
  useLoad,
} from '../components.tsx';
import { time, usd } from '../format.ts';
import type { Group, List, Subscription } from '../types.ts';

const usdOf = (nano: number | undefined) => (nano === undefined ? '' : String(nano / 1_000_000_000));

function EditGroup({ group, onChanged }: { group: Group & { version?: number }; onChanged: () => void }) {
  const { outcome, run } = useAction(onChanged);
  const [form, setForm] = useState({
    rateMultiplier: String(group.rateMultiplier),
    billingMode: group.billingMode,
    dailyLimitUsd: usdOf(group.dailyLimitNano),
    weeklyLimitUsd: usdOf(group.weeklyLimitNano),
    monthlyLimitUsd: usdOf(group.monthlyLimitNano),
  });
  const set = (field: keyof typeof form) => (value: string) => setForm({ ...form, [field]: value });
  return (
    <section class="details" aria-label={`Group ${group.name}`}>
      <h3>
        {group.name} ({group.id})
      </h3>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          // An emptied limit field removes the limit.
          const body = Object.fromEntries(
            Object.entries(form).map(([field, value]) => [
              field,
              value.trim() === '' ? 'none' : value.trim(),
            ]),
          );
          run(
            () =>
              api('PATCH', `/groups/${encodeURIComponent(group.id)}`, {
                body: { ...body, version: group.version ?? 0 },
              }),
            `Group ${group.name} saved.`,
          );
        }}
      >
        <Field label="Rate multiplier" value={form.rateMultiplier} onInput={set('rateMultiplier')} />
        <Select
          label="Billing mode"
          value={form.billingMode}
          onChange={set('billingMode')}
          options={[
            { value: 'balance', label: 'balance' },
            { value: 'subscription', label: 'subscription' },
          ]}
        />
        <Field
          label="Daily limit (USD, empty: none)"
          value={form.dailyLimitUsd}
          onInput={set('dailyLimitUsd')}
        />
        <Field
          label="Weekly limit (USD, empty: none)"
          value={form.weeklyLimitUsd}
          onInput={set('weeklyLimitUsd')}
        />
        <Field
          label="Monthly limit (USD, empty: none)"
          value={form.monthlyLimitUsd}
          onInput={set('monthlyLimitUsd')}
        />
        <button type="submit">Save group</button>
        <button
          type="button"
          class="danger"
          onClick={() => {
            if (
              confirm(
                `Delete group ${group.name}? Only a group nothing uses can go; its usage history stays.`,
              )
            ) {
              run(
                () => api('DELETE', `/groups/${encodeURIComponent(group.id)}`),
                `Group ${group.name} deleted.`,
              );
            }
          }}
        >
          Delete group
        </button>
      </form>
      <Outcome {...outcome} />
    </section>
  );
}

export function GroupsPage() {
  const groups = useLoad(() => api<List<Group>>('GET', '/groups'), []);
  const subscriptions = useLoad(() => api<List<Subscription>>('GET', '/subscriptions'), []);
  const { outcome, run } = useAction(groups.reload);
  const [selected, setSelected] = useState<string | undefined>();
  const chosen = groups.data?.data.find((group) => group.id === selected);
  const [form, setForm] = useState({
    name: '',
    rateMultiplier: '1',
    billingMode: 'balance',
    dailyLimitUsd: '',
    weeklyLimitUsd: '',
    monthlyLimitUsd: '',
  });
  const set = (field: keyof typeof form) => (value: string) => setForm({ ...form, [field]: value });
  const limit = (nano: number | undefined) => (nano === undefined ? 'none' : usd(nano));
  return (
    <>
      <h1>Groups</h1>
      <Outcome error={groups.error ?? subscriptions.error} />
      <Section title="New group">
        <form
          class="inline"
          onSubmit={(event) => {
            event.preventDefault();
            const body = Object.fromEntries(Object.entries(form).filter(([, value]) => value.trim() !== ''));
            run(() => api('POST', '/groups', { body }), `Group ${form.name} created.`);
          }}
        >
          <Field label="Name" value={form.name} onInput={set('name')} required />
          <Field label="Rate multiplier" value={form.rateMultiplier} onInput={set('rateMultiplier')} />
          <Select
            label="Billing mode"
            value={form.billingMode}
            onChange={set('billingMode')}
            options={[
              { value: 'balance', label: 'balance' },
              { value: 'subscription', label: 'subscription' },
            ]}
          />
          <Field label="Daily limit (USD)" value={form.dailyLimitUsd} onInput={set('dailyLimitUsd')} />
          <Field label="Weekly limit (USD)" value={form.weeklyLimitUsd} onInput={set('weeklyLimitUsd')} />
          <Field label="Monthly limit (USD)" value={form.monthlyLimitUsd} onInput={set('monthlyLimitUsd')} />
          <button type="submit">Create group</button>
        </form>
        <Outcome {...outcome} />
      </Section>
      <DataTable
        caption="Groups"
        rows={groups.data?.data}
        rowKey={(group) => group.id}
        columns={[
          { label: 'Group', cell: (group) => `${group.name} (${group.id})` },
          { label: 'Multiplier', cell: (group) => group.rateMultiplier, numeric: true },
          { label: 'Billing mode', cell: (group) => group.billingMode },
          { label: 'Daily limit', cell: (group) => limit(group.dailyLimitNano), numeric: true },
          { label: 'Weekly limit', cell: (group) => limit(group.weeklyLimitNano), numeric: true },
          { label: 'Monthly limit', cell: (group) => limit(group.monthlyLimitNano), numeric: true },
          pickColumn<Group>(
            'Edit',
            (group) => `Edit group ${group.name}`,
            (group) => setSelected(group.id),
          ),
        ]}
      />
      {chosen && <EditGroup key={chosen.id} group={chosen} onChanged={groups.reload} />}
      <DataTable
        caption="Subscriptions"
        rows={subscriptions.data?.data}
        rowKey={(sub) => `${sub.userId}/${sub.groupId}`}
        columns={[
          { label: 'User', cell: (sub) => sub.userId },
          { label: 'Group', cell: (sub) => sub.groupId },
          { label: 'Status', cell: (sub) => sub.status },
          { label: 'Until', cell: (sub) => time(sub.expiresAt) },
        ]}
      />
    </>
  );
}
