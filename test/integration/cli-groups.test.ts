import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliWorldForSuite } from './cli-harness.ts';

interface GroupJson {
  id: string;
  name: string;
  rateMultiplier: number;
  billingMode: string;
  dailyLimitNano?: number;
  weeklyLimitNano?: number;
  monthlyLimitNano?: number;
}

describe('quotagate groups', () => {
  const world = cliWorldForSuite();

  it('creates a group with a generated id, multiplier 1 and balance billing by default', async () => {
    // Act
    const group = await world.ok<GroupJson>('groups', 'create', '--name', 'Plain');

    // Assess
    assert.match(group.id, /^grp_[0-9a-z]{12}$/);
    assert.deepEqual([group.name, group.rateMultiplier, group.billingMode], ['Plain', 1, 'balance']);
  });

  it('creates a subscription group with a readable id and USD limits stored in nano-USD', async () => {
    // Act
    const group = await world.ok<GroupJson>(
      'groups',
      'create',
      '--id',
      'pro',
      '--name',
      'Pro',
      '--multiplier',
      '1.5',
      '--billing',
      'subscription',
      '--daily-limit',
      '0.1',
      '--weekly-limit',
      '5',
      '--monthly-limit',
      '20.25',
    );

    // Assess
    assert.equal(group.id, 'pro');
    assert.equal(group.rateMultiplier, 1.5);
    assert.equal(group.billingMode, 'subscription');
    assert.deepEqual(
      [group.dailyLimitNano, group.weeklyLimitNano, group.monthlyLimitNano],
      [100_000_000, 5_000_000_000, 20_250_000_000],
    );
  });

  it('lists groups and shows one with the accounts that serve it', async () => {
    // Prepare
    const account = await world.apiKeyAccount('serving-pro', '--groups', 'pro');

    // Act
    const groups = await world.ok<GroupJson[]>('groups', 'list');
    const details = await world.ok<{ group: GroupJson; accounts: { id: string }[] }>(
      'groups',
      'show',
      '--group',
      'pro',
    );
    const table = await world.run('groups', 'list');

    // Assess
    assert.ok(groups.some((group) => group.id === 'pro'));
    assert.deepEqual(
      details.accounts.map((member) => member.id),
      [account.id],
    );
    assert.match(table.stdout, /^pro\s+Pro\s+subscription\s+1\.5\s+0\.10 USD\s+5\.00 USD\s+20\.25 USD$/m);
  });

  for (const [label, args, sentence] of [
    [
      'a zero multiplier',
      ['--multiplier', '0'],
      /Rate multiplier must be a number greater than 0, got "0"\./,
    ],
    ['a negative multiplier', ['--multiplier=-2'], /Rate multiplier must be a number greater than 0/],
    [
      'an unknown billing mode',
      ['--billing', 'credit'],
      /Billing mode must be "balance" or "subscription", got "credit"\./,
    ],
    [
      'limits on a balance group',
      ['--daily-limit', '5'],
      /limits apply only to groups with billing mode "subscription"/,
    ],
    ['an id with capitals', ['--id', 'Team A'], /Group id "Team A" must be 1-63 lower-case letters/],
  ] as const) {
    it(`refuses ${label} and creates nothing`, async () => {
      // Prepare
      const before = await world.snapshot();

      // Act
      const result = await world.run('groups', 'create', '--name', 'Bad', ...args);

      // Assess
      assert.equal(result.code, 2);
      assert.match(result.stderr, sentence);
      assert.equal(await world.snapshot(), before);
    });
  }

  it('refuses a group id that is taken as a conflict, leaving the first group as it was', async () => {
    // Prepare
    const before = await world.snapshot();

    // Act
    const result = await world.run('groups', 'create', '--id', 'pro', '--name', 'Pro again');

    // Assess
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'Error: Group pro already exists.\n');
    assert.equal(await world.snapshot(), before);
  });
});
