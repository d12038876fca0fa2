/**
 * Overview: the alerts of the last 7 days and their defaults, the last 24 hours by hour, this month by day, and who
 * used most this month.
 */
import { api } from '../api.ts';
import { DataTable, Outcome, Section, useAction, useLoad } from '../components.tsx';
import { time, usd, usdInput } from '../format.ts';
import { ActionForm, Field, formBody, useForm } from '../forms.tsx';
import type { Alert, List, UsageSummary, User } from '../types.ts';
import { TopTable, UsageCharts } from '../usage-charts.tsx';

/** What an alert says, in a few words. */
function alertText(alert: Alert): string {
  if (alert.kind === 'low_balance') {
    return `Balance ${usd(alert.valueNano)} fell below ${usd(alert.limitNano)}`;
  }
  const limit = alert.kind === 'key_quota' ? 'quota' : `${alert.period} budget`;
  return `Key ${alert.keyName ?? alert.apiKeyId} reached ${alert.percent} % of its ${limit} (${usd(alert.valueNano)} of ${usd(alert.limitNano)})`;
}

interface AlertDefaults {
  lowBalanceAlertNano?: number;
  keyAlertPercent?: number;
}

/** What users and keys without their own threshold alert by; an emptied field removes a default. */
function AlertDefaultsForm({ defaults, onSaved }: { defaults: AlertDefaults; onSaved: () => Promise<void> }) {
  const { outcome, run } = useAction(onSaved);
  const { form, bind } = useForm({
    lowBalanceAlertUsd: usdInput(defaults.lowBalanceAlertNano),
    keyAlertPercent: defaults.keyAlertPercent === undefined ? '' : String(defaults.keyAlertPercent),
  });
  return (
    <>
      <ActionForm
        label="Alert defaults"
        onSubmit={() =>
          run(() => api('PUT', '/alerts/defaults', { body: formBody(form, 'none') }), 'Alert defaults saved.')
        }
      >
        <Field label="Default low-balance alert (USD, empty: none)" {...bind('lowBalanceAlertUsd')} />
        <Field label="Default key alert percent (empty: 80)" {...bind('keyAlertPercent')} />
        <button type="submit">Save alert defaults</button>
      </ActionForm>
      <Outcome {...outcome} />
    </>
  );
}

function RecentAlerts() {
  const alerts = useLoad(() => api<List<Alert>>('GET', '/alerts', { query: { days: '7', limit: '20' } }), []);
  const defaults = useLoad(() => api<AlertDefaults>('GET', '/alerts/defaults'), []);
  return (
    <Section title="Alerts, last 7 days">
      <Outcome error={alerts.error ?? defaults.error} />
      {defaults.data && <AlertDefaultsForm defaults={defaults.data} onSaved={defaults.reload} />}
      <DataTable
        caption="Recent alerts"
        rows={alerts.data?.data}
        rowKey={(alert) => alert.alertId}
        empty="No alerts: no balance fell below its threshold and no key neared its quota or budget."
        columns={[
          { label: 'When', cell: (alert) => time(alert.at) },
          { label: 'User', cell: (alert) => alert.email ?? alert.userId },
          { label: 'Alert', cell: alertText },
        ]}
      />
    </Section>
  );
}

export function OverviewPage() {
  const day = useLoad(() => api<UsageSummary>('GET', '/usage/summary', { query: { bucket: 'hour' } }), []);
  const month = useLoad(
    () => api<UsageSummary>('GET', '/usage/summary', { query: { bucket: 'day', top: '5' } }),
    [],
  );
  const users = useLoad(() => api<List<User>>('GET', '/users', { query: { archived: 'include' } }), []);
  const email = (id: string) => users.data?.data.find((user) => user.id === id)?.email ?? id;
  return (
    <>
      <h1>Overview</h1>
      <Outcome error={day.error ?? month.error} />
      <RecentAlerts />
      <Section title="Last 24 hours, by hour">
        {day.data ? <UsageCharts summary={day.data} title="in the last 24 hours" /> : <p>Loading…</p>}
      </Section>
      <Section title="This month, by day">
        {month.data ? <UsageCharts summary={month.data} title="this month" /> : <p>Loading…</p>}
      </Section>
      {month.data && (
        <Section title="Top this month">
          <div class="tops">
            <TopTable caption="Top users" entries={month.data.top.user} name={email} />
            <TopTable caption="Top keys" entries={month.data.top.key} />
            <TopTable caption="Top models" entries={month.data.top.model} />
          </div>
        </Section>
      )}
    </>
  );
}
