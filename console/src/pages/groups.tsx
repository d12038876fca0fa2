/** Groups: multiplier, billing mode and subscription limits; create one; the subscriptions. */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { DataTable, Field, Outcome, Section, Select, useAction, useLoad } from '../components.tsx';
import { time, usd } from '../format.ts';
import type { Group, List, Subscription } from '../types.ts';

export function GroupsPage() {
  const groups = useLoad(() => api<List<Group>>('GET', '/groups'), []);
  const subscriptions = useLoad(() => api<List<Subscription>>('GET', '/subscriptions'), []);
  const { outcome, run } = useAction(groups.reload);
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
        ]}
      />
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
