/**
 * Admin operations on alerts (see docs/operations.md, "Low-balance and budget alerts"): the
 * recent alerts, newest first, and the defaults every user and key alerts by. A user's own
 * threshold and a key's own percent are set with the user and the key.
 *
 * @example
 * ```ts
 * await setAlertDefaults(store, { lowBalanceAlertUsd: '5', keyAlertPercent: '90' });
 * const { data } = await listAlerts(store, { days: '7' }, Date.now());
 * ```
 */
import { type Alert, DEFAULT_KEY_ALERT_PERCENT } from '../alerts/alert.ts';
import type { AlertAdminStore, AlertDefaults } from '../store/alert-store.ts';
import { AdminError } from './admin-error.ts';
import { parseCount } from './fields.ts';
import { parseUsdToNano } from './money.ts';

const DAY_MS = 86_400_000;
/** Alerts are kept 30 days. */
const MAX_DAYS = 30;
const MAX_LIMIT = 500;

const isNone = (value: unknown): boolean =>
  typeof value === 'string' && value.trim().toLowerCase() === 'none';

/** A percent of a limit at which to alert first: 1 to 100. */
export function parseAlertPercent(value: string | number): number {
  const percent = parseCount(value, 'Alert percent', ' (1 to 100)');
  if (percent < 1 || percent > 100) throw AdminError.invalid('Alert percent must be from 1 to 100.');
  return percent;
}

/** A USD threshold, or `none` (→ undefined, which removes it). */
export function parseAlertThreshold(value: string | number): number | undefined {
  return isNone(value) ? undefined : parseUsdToNano(value, 'Low-balance alert');
}

/** A percent, or `none` (→ undefined, which removes it). */
export function parseOptionalAlertPercent(value: string | number): number | undefined {
  return isNone(value) ? undefined : parseAlertPercent(value);
}

export interface AlertListInput {
  /** Days back from now (1–30); default 7. */
  days?: string | number | undefined;
  /** Most alerts returned (1–500); default 100. */
  limit?: string | number | undefined;
}

export async function listAlerts(
  store: AlertAdminStore,
  input: AlertListInput,
  now: number,
): Promise<{ data: Alert[] }> {
  const days = input.days === undefined ? 7 : parseCount(input.days, 'Days');
  if (days < 1 || days > MAX_DAYS) throw AdminError.invalid(`Days must be from 1 to ${MAX_DAYS}.`);
  const limit = input.limit === undefined ? 100 : parseCount(input.limit, 'Limit');
  if (limit < 1 || limit > MAX_LIMIT) throw AdminError.invalid(`Limit must be from 1 to ${MAX_LIMIT}.`);
  return { data: await store.list({ fromMs: now - days * DAY_MS, toMs: now + 1, limit }) };
}

/** The defaults as set, and the key percent in force (80 when none is set). */
export interface AlertDefaultsView extends AlertDefaults {
  effectiveKeyAlertPercent: number;
}

function view(defaults: AlertDefaults): AlertDefaultsView {
  return { ...defaults, effectiveKeyAlertPercent: defaults.keyAlertPercent ?? DEFAULT_KEY_ALERT_PERCENT };
}

export async function getAlertDefaults(store: AlertAdminStore): Promise<AlertDefaultsView> {
  return view(await store.readDefaults());
}

export interface AlertDefaultsInput {
  /** USD; `none` removes the default threshold (users without their own then never alert). */
  lowBalanceAlertUsd?: string | number | undefined;
  /** 1–100; `none` goes back to 80. */
  keyAlertPercent?: string | number | undefined;
}

export async function setAlertDefaults(
  store: AlertAdminStore,
  input: AlertDefaultsInput,
): Promise<AlertDefaultsView> {
  const changes: Partial<AlertDefaults> = {};
  if (input.lowBalanceAlertUsd !== undefined) {
    changes.lowBalanceAlertNano = parseAlertThreshold(input.lowBalanceAlertUsd);
  }
  if (input.keyAlertPercent !== undefined) {
    changes.keyAlertPercent = parseOptionalAlertPercent(input.keyAlertPercent);
  }
  if (Object.keys(changes).length === 0) {
    throw AdminError.invalid(
      'Nothing to change: give lowBalanceAlertUsd or keyAlertPercent (none removes one).',
    );
  }
  return view(await store.writeDefaults(changes));
}
