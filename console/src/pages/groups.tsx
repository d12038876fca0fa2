/** Groups: multiplier, billing mode and subscription limits; create one; the subscriptions. */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { DataTable, Outcome, Section, useAction, useLoad } from '../components.tsx';
import { time, usd, usdInput } from '../format.ts';
import { ActionForm, ConfirmButton, Field, formBody, Select, useForm } from '../forms.tsx';
import { Details, pickColumn, type RowPanelProps } from '../row-panel.tsx';
import type { Group, List, Subscription } from '../types.ts';

type GroupForm = {
  rateMultiplier: string;
  billingMode: string;
  dailyLimitUsd: string;
  weeklyLimitUsd: string;
  monthlyLimitUsd: string;
};

/** The fields a group is created and edited with; `emptyMeans` says what an empty limit does. */
function GroupFields({
  form,
  set,
  bind,
  emptyMeans,
}: {
  form: GroupForm;
  set: (field: keyof GroupForm) => (value: string) => void;
  bind: (field: keyof GroupForm) => { value: string; onInput: (value: string) => void };
  emptyMeans: string;
}) {
  return (
    <>
      <Field label="Rate multiplier" {...bind('rateMultiplier')} />
      <Select
        label="Billing mode"
        value={form.billingMode}
        onChange={set('billingMode')}
        options={['balance', 'subscription']}
      />
      {(['daily', 'weekly', 'monthly'] as const).map((period) => (
        <Field
          key={period}
          label={`${period[0]?.toUpperCase()}${period.slice(1)} limit (USD${emptyMeans})`}
          {...bind(`${period}LimitUsd`)}
        />
      ))}
    </>
  );
}

/** The picked group's settings; `remove` deletes it. */
function EditGroup({ row: group, onChanged, remove }: RowPanelProps<Group & { version?: number }>) {
  const { outcome, run } = useAction(onChanged);
  const { form, set, bind } = useForm<GroupForm>({
    rateMultiplier: String(group.rateMultiplier),
    billingMode: group.billingMode,
    dailyLimitUsd: usdInput(group.dailyLimitNano),
    weeklyLimitUsd: usdInput(group.weeklyLimitNano),
    monthlyLimitUsd: usdInput(group.monthlyLimitNano),
  });
  const path = `/groups/${encodeURIComponent(group.id)}`;
  return (
    <Details label={`Group ${group.name}`} title={`${group.name} (${group.id})`}>
      <ActionForm
        onSubmit={() =>
          run(
            () => api('PATCH', path, { body: { ...formBody(form, 'none'), version: group.version ?? 0 } }),
            `Group ${group.name} saved.`,
          )
        }
      >
        <GroupFields form={form} set={set} bind={bind} emptyMeans=", empty: none" />
        <button type="submit">Save group</button>
        <ConfirmButton
          question={`Delete group ${group.name}? Only a group nothing uses can go; its usage history stays.`}
          action={() => remove(group)}
        >
          Delete group
        </ConfirmButton>
      </ActionForm>
      <Outcome {...outcome} />
    </Details>
  );
}

export function GroupsPage() {
  const groups = useLoad(() => api<List<Group>>('GET', '/groups'), []);
  const subscriptions = useLoad(() => api<List<Subscription>>('GET', '/subscriptions'), []);
  const { outcome, run } = useAction(groups.reload);
  const removal = useAction(groups.reload);
  const remove = (group: Group) =>
    removal.run(
      () => api('DELETE', `/groups/${encodeURIComponent(group.id)}`),
      `Group ${group.name} deleted.`,
    );
  const { form, set, bind } = useForm({
    name: '',
    rateMultiplier: '1',
    billingMode: 'balance',
    dailyLimitUsd: '',
    weeklyLimitUsd: '',
    monthlyLimitUsd: '',
  });
  const [selected, setSelected] = useState<string | undefined>();
  const chosen = groups.data?.data.find((group) => group.id === selected);
  const limit = (nano: number | undefined) => (nano === undefined ? 'none' : usd(nano));
  return (
    <>
      <h1>Groups</h1>
      <Outcome error={groups.error ?? subscriptions.error} />
      <Section title="New group">
        <ActionForm
          onSubmit={() =>
            run(() => api('POST', '/groups', { body: formBody(form, 'omit') }), `Group ${form.name} created.`)
          }
        >
          <Field label="Name" {...bind('name')} required />
          <GroupFields form={form} set={set} bind={bind} emptyMeans="" />
          <button type="submit">Create group</button>
        </ActionForm>
        <Outcome {...outcome} />
      </Section>
      <Outcome {...removal.outcome} />
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
      {chosen && <EditGroup key={chosen.id} row={chosen} onChanged={groups.reload} remove={remove} />}
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
