/**
 * Every admin command, run the same way on two fresh worlds: one on the tables (DynamoDB on
 * dynalite), one through `--api` (the local admin server on its own dynalite). What each prints
 * — text, then `--json` — must be the same but for the ids, secrets and current times each world
 * makes up. A command missing from the script fails the suite, so a new command has to work both
 * ways to land.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMMAND_GROUPS } from '../../cli/main.ts';
import { writeFullExport } from '../support/dynamodb-export.ts';
import { CALENDAR_INSTANTS, PinnedClock } from '../support/pinned-clock.ts';
import { type CliRun, type CliWorld, cliWorldForSuite } from './cli-harness.ts';

interface Step {
  /** The command line; `{user}`, `{key}`, `{account}` stand for ids made earlier in the script. */
  args: string[];
  /** The exit code of the text run (default 0); the `--json` run only has to agree across worlds. */
  code?: number;
  /**
   * Text only: a second run would make a second item, listed in an order its random id decides;
   * the item's JSON is compared by the `show` and `list` steps after it.
   */
  once?: true;
}

const ACCOUNT_SECRET = 'sk-both-ways-upstream-0123456789';
/** The recorder's repairs: the admin API offers neither, so `--api` refuses them. */
const TABLES_ONLY = ['usage replay-parked', 'usage sweep-pending'];
/** A step that records one served request of `{user}`'s key on `{account}`, through the recorder. */
const RECORD_REQUEST: Step = { args: ['(record a request)'] };
/**
 * Both worlds' admin API runs on a clock pinned at a mid-month noon, and the request started an
 * hour before: "today", "this month" and "the last 24 hours" are the same for both worlds and
 * hold the request, whenever each world runs (a transcript on each side of midnight UTC differed).
 */
const CLOCK = new PinnedClock(CALENDAR_INSTANTS.midMonthNoon);
const RECORDED_AT = '2026-11-14T11:00:00.000Z';
/** Set before the script runs: a full DynamoDB export (of nothing) for `usage from-export`. */
let exportFolder = '';

const STEPS: Step[] = [
  { args: ['groups', 'create', '--id', 'pro', '--name', 'Pro', '--billing', 'subscription'] },
  { args: ['groups', 'set', 'pro', '--daily-limit', '5', '--monthly-limit', '100'] },
  { args: ['groups', 'list'] },
  { args: ['groups', 'show', 'pro'] },
  { args: ['users', 'create', '--email', 'ada@example.com', '--balance', '10'] },
  { args: ['users', 'list'] },
  { args: ['users', 'set', '{user}', '--concurrency', '3'] },
  { args: ['users', 'add-balance', '{user}', '--amount', '2.5', '--idempotency-key', 'topup-1'] },
  // A retry with the same key says it was already applied, and adds nothing.
  { args: ['users', 'add-balance', '{user}', '--amount', '2.5', '--idempotency-key', 'topup-1'] },
  { args: ['users', 'set', '{user}', '--low-balance-alert', '1'] },
  { args: ['users', 'disable', '{user}'] },
  { args: ['users', 'enable', '{user}'] },
  {
    args: ['keys', 'create', '--user', '{user}', '--name', 'laptop', '--models', 'gpt-5', '--quota', '5'],
    once: true,
  },
  { args: ['keys', 'list'] },
  { args: ['keys', 'list', '--user', '{user}'] },
  { args: ['keys', 'set', '{key}', '--rpm', '30', '--budget', '2', '--budget-period', 'daily'] },
  { args: ['keys', 'set', '{key}', '--alert-percent', '90'] },
  { args: ['alerts', 'set-defaults', '--low-balance', '2', '--key-percent', '75'] },
  { args: ['alerts', 'defaults'] },
  { args: ['alerts', 'list'] },
  { args: ['alerts', 'set-defaults', '--key-percent', '101'], code: 2 },
  { args: ['keys', 'disable', '{key}'] },
  { args: ['keys', 'enable', '{key}'] },
  {
    args: [
      'accounts',
      'create',
      '--type',
      'apikey',
      '--name',
      'platform',
      '--base-url',
      'http://127.0.0.1:9/',
      '--api-key',
      ACCOUNT_SECRET,
      '--map',
      'gpt-5=gpt-5.1',
    ],
    once: true,
  },
  { args: ['accounts', 'list'] },
  { args: ['accounts', 'show', '{account}'] },
  { args: ['accounts', 'set', '{account}', '--priority', '1', '--error-codes', '401,403'] },
  { args: ['accounts', 'add-group', '{account}', '--group', 'pro'] },
  { args: ['accounts', 'remove-group', '{account}', '--group', 'pro'] },
  { args: ['accounts', 'health', '{account}'] },
  { args: ['accounts', 'clear', '{account}'] },
  { args: ['accounts', 'reseal'] },
  { args: ['subscriptions', 'assign', '--user', '{user}', '--group', 'pro', '--until', '2099-01-01'] },
  { args: ['subscriptions', 'extend', '--user', '{user}', '--group', 'pro', '--until', '2099-06-30'] },
  { args: ['subscriptions', 'list'] },
  { args: ['subscriptions', 'cancel', '--user', '{user}', '--group', 'pro'] },
  { args: ['users', 'show', '{user}'] },
  { args: ['prices', 'set', 'gpt-5.1', '--input', '1', '--cached-input', '0.1', '--output', '8'] },
  { args: ['prices', 'list'] },
  { args: ['prices', 'remove', 'gpt-5.1'] },
  RECORD_REQUEST,
  { args: ['usage', 'export', '--from', '2026-11-14', '--to', '2026-11-14'] },
  {
    args: [
      'usage',
      'export',
      '--from',
      '2026-11-14',
      '--to',
      '2026-11-14',
      '--format',
      'jsonl',
      '--user',
      '{user}',
    ],
  },
  { args: ['usage', 'from-export', '{export}'] },
  { args: ['ops', 'errors'] },
  { args: ['ops', 'usage'] },
  { args: ['ops', 'usage', '--by', 'key', '--id', '{key}'] },
  { args: ['ops', 'usage', '--by', 'user', '--id', '{user}', '--from', '2026-11-01', '--to', '2026-11-30'] },
  { args: ['ops', 'health', '{account}'] },
  { args: ['keys', 'revoke', '{key}'] },
  { args: ['groups', 'create', '--id', 'spare', '--name', 'Spare'] },
  { args: ['groups', 'delete', 'spare'] },
  { args: ['accounts', 'disable', '{account}'] },
  { args: ['accounts', 'enable', '{account}'] },
  { args: ['accounts', 'disable', '{account}'] },
  { args: ['accounts', 'delete', '{account}'] },
  { args: ['users', 'archive', '{user}'] },
  { args: ['users', 'list'] },
  { args: ['users', 'list', '--archived', 'only'] },
  { args: ['keys', 'list', '--archived', 'include'] },
  { args: ['users', 'enable', '{user}'], code: 1 },
  { args: ['users', 'unarchive', '{user}'] },
  // Refusals: the same sentence and exit code either way.
  { args: ['users', 'create', '--email', 'not-an-email'], code: 2 },
  { args: ['users', 'show', 'usr_000000000000'], code: 1 },
  { args: ['keys', 'set', '{key}'], code: 2 },
];

const ID = /\b(?:usr|key|acc)_[0-9a-z]{12}\b/g;
const DAY_MS = 86_400_000;

/**
 * A world's transcript with what it made up replaced: ids by their order of first appearance,
 * key secrets, and times within a day of now (fixed dates such as 2099-01-01 stay).
 */
function normalise(text: string, ids: Map<string, string>): string {
  const recent = (value: string) => Math.abs(Date.parse(value) - Date.now()) < DAY_MS;
  return text
    .replace(ID, (id) => {
      if (!ids.has(id)) ids.set(id, `${id.slice(0, 4)}#${ids.size}`.padEnd(id.length, '_'));
      return ids.get(id) as string;
    })
    .replace(/sk-qg-[\w-]+/g, (secret) => 'sk-qg-'.padEnd(secret.length, 'x'))
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z/g, (iso) => (recent(iso) ? '<now-iso>' : iso))
    .replace(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/g, (shown) =>
      recent(`${shown.slice(0, 10)}T${shown.slice(11, 16)}:00Z`) ? '<now-utc>' : shown,
    )
    .replace(/\b1\d{12}\b/g, (ms) => (recent(new Date(Number(ms)).toISOString()) ? '<now-ms>' : ms));
}

/** Runs the script on one world, filling in ids from its own earlier output. */
async function transcript(world: CliWorld, run: (...args: string[]) => Promise<CliRun>): Promise<string[]> {
  const made: Record<string, string> = { export: exportFolder };
  const ids = new Map<string, string>();
  const lines: string[] = [];
  for (const step of STEPS) {
    if (step === RECORD_REQUEST) {
      await world.recordRequest({
        requestId: 'req_both_ways_1',
        startedAt: RECORDED_AT,
        endedAt: RECORDED_AT,
        userId: made.user as string,
        apiKeyId: made.key as string,
        accountId: made.account as string,
        modelRequested: 'gpt-5',
        stream: true,
        usage: { inputTokens: 1200, cachedInputTokens: 200, outputTokens: 300, reasoningTokens: 0 },
        durationMs: 850,
      });
      continue;
    }
    const args = step.args.map((arg) =>
      arg.replace(/^\{(\w+)\}$/, (_all, name: string) => made[name] ?? arg),
    );
    const text = await run(...args);
    assert.equal(text.code, step.code ?? 0, `quotagate ${args.join(' ')}: ${text.stderr}`);
    for (const id of text.stdout.match(ID) ?? []) {
      const name = { usr: 'user', key: 'key', acc: 'account' }[id.slice(0, 3)] as string;
      made[name] ??= id;
    }
    const runs: [string, CliRun][] = [['text', text]];
    if (!step.once && step.args[0] !== 'usage') runs.push(['json', await run(...args, '--json')]);
    for (const [mode, result] of runs) {
      assert.ok(!(result.stdout + result.stderr).includes(ACCOUNT_SECRET), 'an upstream credential printed');
      lines.push(
        `$ ${step.args.join(' ')} (${mode}) → ${result.code}\n${normalise(result.stdout + result.stderr, ids)}`,
      );
    }
  }
  return lines;
}

describe('quotagate on the tables and through --api', { timeout: 120_000 }, () => {
  const tables = cliWorldForSuite({ now: CLOCK.now });
  const api = cliWorldForSuite({ adminApi: true, now: CLOCK.now });
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'qg-both-ways-'));
    const target = {
      root,
      bucket: 'exports',
      prefix: 'usage',
      tableArn: 'arn:aws:dynamodb:local:0:table/usage',
    };
    exportFolder = await writeFullExport(target, new Map(), new Date());
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('has a step for every command but the recorder repairs, so none can exist one way only', () => {
    const covered = new Set(STEPS.map((step) => `${step.args[0]} ${step.args[1]}`));
    const commands = COMMAND_GROUPS.flatMap((group) =>
      group.commands.map((command) => `${group.name} ${command.name}`),
    );
    assert.deepEqual(
      commands.filter((command) => !covered.has(command) && !TABLES_ONLY.includes(command)),
      [],
    );
    assert.ok(commands.length >= 40, `${commands.length} commands`);
  });

  it('prints the same text and JSON, and refuses with the same sentences, either way', async () => {
    const onTables = await transcript(tables, tables.run);
    const throughApi = await transcript(api, api.viaApi);
    assert.ok(onTables.length > STEPS.length, `${onTables.length} runs`);
    const exported = onTables.find((line) =>
      line.startsWith('$ usage export --from 2026-11-14 --to 2026-11-14 (text)'),
    );
    assert.match(exported ?? '', /req_both_ways_1/, 'the recorded request is exported');
    assert.equal(throughApi.length, onTables.length);
    for (const [index, line] of onTables.entries()) assert.equal(throughApi[index], line);
  });

  it('runs the recorder repairs on the tables and refuses them through --api, saying so', async () => {
    for (const command of TABLES_ONLY) {
      const [group, name] = command.split(' ') as [string, string];
      const onTables = await tables.run(group, name);
      assert.equal(onTables.code, 0, onTables.stderr);
      const refused = await api.viaApi(group, name);
      assert.equal(refused.code, 2);
      assert.equal(
        refused.stderr,
        `Error: quotagate ${command} works on the tables only; leave out --api.\nRun \`quotagate ${command} --help\` for usage.\n`,
      );
    }
  });
});
