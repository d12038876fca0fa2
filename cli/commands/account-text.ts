/**
 * Accounts as text for humans: the field block of `accounts show` and of every change, and the
 * one-line rows of `accounts list` (a long health reason is shortened there, whole in `show`).
 */
import type { AccountView } from '#shared/admin/accounts.ts';
import type { AccountHealth, CodexUsageWindow } from '#shared/domain/types.ts';
import { orDash, renderFields, renderTable, time } from '../output.ts';

/** `reasonLength` shortens the reason (a table row) so the state and its end stay visible. */
function health(state: AccountHealth, reasonLength = Number.POSITIVE_INFINITY): string {
  const parts: string[] = [state.state];
  const reason = state.reason?.replace(/\s+/g, ' ');
  if (reason)
    parts.push(`(${reason.length > reasonLength ? `${reason.slice(0, reasonLength - 1)}…` : reason})`);
  if (state.until !== undefined) parts.push(`until ${time(state.until)}`);
  return parts.join(' ');
}

function mapping(modelMapping: Record<string, string>): string {
  const entries = Object.entries(modelMapping);
  return entries.length === 0 ? 'any model' : entries.map(([from, to]) => `${from}=${to}`).join(', ');
}

function codexWindow(label: string, window: CodexUsageWindow | undefined): string | undefined {
  if (window?.usedPercent === undefined) return undefined;
  const resets = window.resetsAt === undefined ? '' : ` (resets ${time(window.resetsAt)})`;
  return `${label} ${window.usedPercent}%${resets}`;
}

function codexUsage(account: AccountView): string | undefined {
  const usage = account.codexUsage;
  if (!usage) return undefined;
  const windows = [codexWindow('5h', usage.fiveHour), codexWindow('7d', usage.sevenDay)].filter(Boolean);
  return windows.length === 0 ? undefined : windows.join(', ');
}

function accountFields(account: AccountView): string {
  return renderFields([
    ['ID', account.id],
    ['Name', account.name],
    ['Type', account.type],
    ['Base URL', account.baseUrl ?? 'ChatGPT Codex backend'],
    ['Status', account.status],
    ['Priority', String(account.priority)],
    ['Concurrency', String(account.concurrency)],
    ['Groups', account.groupIds.join(', ') || 'none (never scheduled)'],
    ['Models', mapping(account.modelMapping)],
    [
      'Error codes',
      account.customErrorCodes?.length ? account.customErrorCodes.join(', ') : 'by the error’s meaning',
    ],
    ['User-Agent', account.userAgent ?? 'the client’s'],
    ['Proxy', account.proxyEndpoint ?? 'none (direct)'],
    ['Health', health(account.health)],
    ['Codex usage', codexUsage(account)],
    ['Token expires', account.tokenExpiresAt ? time(account.tokenExpiresAt) : undefined],
    ['Last used', time(account.lastUsedAt)],
    ['Created', time(account.createdAt)],
    ['Version', orDash(account.version)],
  ]);
}

/** What a command did to an account, then the account as it is now. */
export function accountSummary(verb: string, account: AccountView): string {
  return `${verb} account ${account.id} (${account.name}).\n${accountFields(account)}`;
}

export function renderAccountsTable(accounts: AccountView[]): string {
  const rows = accounts.map((account) => [
    account.id,
    account.name,
    account.type,
    account.status,
    String(account.priority),
    String(account.concurrency),
    account.groupIds.join(',') || '-',
    mapping(account.modelMapping),
    health(account.health, 20),
    time(account.lastUsedAt),
  ]);
  return renderTable(
    ['ID', 'NAME', 'TYPE', 'STATUS', 'PRIO', 'CONC', 'GROUPS', 'MODELS', 'HEALTH', 'LAST USED'],
    rows,
  );
}

export function renderHealth(state: AccountHealth): string {
  return renderFields([
    ['State', state.state],
    ['Reason', state.reason],
    ['Until', state.until === undefined ? undefined : time(state.until)],
    ['Updated', state.updatedAt === undefined ? undefined : time(state.updatedAt)],
  ]);
}
