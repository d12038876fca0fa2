import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  candidatesFor,
  isSchedulable,
  noCandidateReason,
  priorityTiers,
  rankProbed,
  supportsModel,
} from '#shared/concurrency/account-candidates.ts';
import { NoAccountsError } from '#shared/domain/errors.ts';
import type { Account } from '#shared/domain/types.ts';
import { answerOf } from '#shared/error-answers.ts';

const NOW = Date.UTC(2026, 0, 1);

function account(id: string, overrides: Partial<Account> = {}): Account {
  return {
    id,
    name: id,
    type: 'apikey',
    credentials: { apiKey: 'sk-test' },
    status: 'active',
    priority: 1,
    concurrency: 4,
    modelMapping: {},
    groupIds: ['g_1'],
    health: { state: 'ok' },
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

const ids = (accounts: readonly { id: string }[]) => accounts.map((a) => a.id);
const filter = { groupId: 'g_1', model: 'gpt-5', excluded: new Set<string>() };

describe('candidatesFor', () => {
  it('keeps active, healthy accounts of the group that serve the model and have not failed', () => {
    // Prepare
    const accounts = [
      account('ok'),
      account('disabled', { status: 'disabled' }),
      account('errored', { health: { state: 'error', reason: '401' } }),
      account('cooling', { health: { state: 'rate_limited', until: NOW + 1 } }),
      account('cooled', { health: { state: 'overloaded', until: NOW } }),
      account('no-until', { health: { state: 'rate_limited' } }),
      account('erroring', { health: { state: 'error', reason: '401', until: NOW + 1 } }),
      account('rechecked', { health: { state: 'error', reason: '401', until: NOW } }),
      account('other-group', { groupIds: ['g_2'] }),
      account('mapped', { modelMapping: { 'gpt-5': 'gpt-5-2025-08-07' } }),
      account('other-model', { modelMapping: { 'gpt-4.1': 'gpt-4.1' } }),
      account('failed'),
      account('no-concurrency', { concurrency: 0 }),
    ];

    // Act
    const candidates = candidatesFor(accounts, { ...filter, excluded: new Set(['failed']) }, NOW);

    // Assess
    assert.deepEqual(ids(candidates), ['ok', 'cooled', 'rechecked', 'mapped']);
  });

  it('treats an empty model mapping as every model and a non-empty one as a whitelist', () => {
    // Act
    const answers = [
      supportsModel(account('a'), 'anything'),
      supportsModel(account('b', { modelMapping: { 'gpt-5': 'x' } }), 'gpt-5'),
      supportsModel(account('c', { modelMapping: { 'gpt-5': 'x' } }), 'toString'),
    ];

    // Assess
    assert.deepEqual(answers, [true, true, false]);
  });

  it('schedules a cooled-down account again once its cooldown ends', () => {
    // Prepare
    const limited = account('a', { health: { state: 'rate_limited', until: NOW + 60_000 } });

    // Act
    const before = isSchedulable(limited, NOW);
    const after = isSchedulable(limited, NOW + 60_000);

    // Assess
    assert.deepEqual([before, after], [false, true]);
  });
});

describe('noCandidateReason', () => {
  const reason = (accounts: Account[]) => noCandidateReason(accounts, filter, NOW);

  it('says which filter emptied the list, and when a cooling pool is back', () => {
    // Prepare
    const cooling = (id: string, until: number) => account(id, { health: { state: 'rate_limited', until } });

    // Act
    const answers = [
      reason([account('elsewhere', { groupIds: ['g_2'] })]),
      reason([account('mapped', { modelMapping: { 'gpt-4.1': 'gpt-4.1' } })]),
      reason([account('off', { status: 'disabled' })]),
      reason([account('broken', { health: { state: 'error' } })]),
      reason([cooling('a', NOW + 90_000), cooling('b', NOW + 30_500)]),
    ];

    // Assess
    assert.deepEqual(answers, [
      { kind: 'no_group_account' },
      { kind: 'no_model_account', model: 'gpt-5' },
      { kind: 'all_disabled' },
      { kind: 'all_in_error' },
      { kind: 'all_cooling_down', untilMs: NOW + 30_500, retryAfterSeconds: 30.5 },
    ]);
  });

  it('is answered 503 with the reason worded for the client, and Retry-After when a pool is back', () => {
    // Prepare
    const cooling = account('a', { health: { state: 'rate_limited', until: NOW + 30_500 } });
    const reasons = [
      reason([account('elsewhere', { groupIds: ['g_2'] })]),
      reason([account('mapped', { modelMapping: { 'gpt-4.1': 'gpt-4.1' } })]),
      reason([account('off', { status: 'disabled' })]),
      reason([account('broken', { health: { state: 'error' } })]),
      reason([cooling]),
    ];

    // Act
    const answers = reasons.map((why) => answerOf(new NoAccountsError(why)));

    // Assess
    assert.deepEqual(
      answers.map((answer) => [answer?.status, answer?.type, answer?.message, answer?.responseHeaders()]),
      [
        [503, 'api_error', 'No available accounts: no account serves this group', { 'retry-after': '5' }],
        [503, 'api_error', 'No available accounts: none serves model gpt-5', { 'retry-after': '5' }],
        [
          503,
          'api_error',
          'No available accounts: every account for this model is disabled',
          { 'retry-after': '5' },
        ],
        [
          503,
          'api_error',
          'No available accounts: every account for this model is in error state',
          { 'retry-after': '5' },
        ],
        [
          503,
          'api_error',
          `No available accounts: all cooling down until ${new Date(NOW + 30_500).toISOString()}`,
          { 'retry-after': '31' },
        ],
      ],
    );
  });
});

describe('priorityTiers', () => {
  it('groups by priority, lowest value first, least recently used first within a tier', () => {
    // Prepare
    const accounts = [
      account('p2', { priority: 2 }),
      account('p1-recent', { lastUsedAt: NOW }),
      account('p1-never'),
      account('p1-old', { lastUsedAt: NOW - 60_000 }),
      account('p0', { priority: 0, lastUsedAt: NOW }),
    ];

    // Act
    const tiers = priorityTiers(accounts, Math.random);

    // Assess
    assert.deepEqual(tiers.map(ids), [['p0'], ['p1-never', 'p1-old', 'p1-recent'], ['p2']]);
  });

  it('shuffles accounts that tie, so equal accounts are not always probed in list order', () => {
    // Prepare
    const accounts = ['a', 'b', 'c', 'd'].map((id) => account(id));
    const firsts = new Set<string>();

    // Act
    for (let i = 0; i < 200; i++) firsts.add(priorityTiers(accounts, Math.random)[0]?.[0]?.id ?? '');

    // Assess
    assert.deepEqual([...firsts].sort(), ['a', 'b', 'c', 'd']);
  });
});

describe('rankProbed', () => {
  const probe = (a: Account, inFlight: number) => ({
    account: a,
    inFlight,
    hasRoom: inFlight < a.concurrency,
  });

  it('prefers the least loaded account relative to its concurrency', () => {
    // Prepare
    const probed = [
      probe(account('half', { concurrency: 4 }), 2),
      probe(account('quarter', { concurrency: 8 }), 2),
    ];

    // Act
    const ranked = rankProbed(probed);

    // Assess
    assert.deepEqual(ids(ranked.map((p) => p.account)), ['quarter', 'half']);
  });

  it('puts the sticky account first when it has room, whatever its load or priority', () => {
    // Prepare
    const probed = [probe(account('idle'), 0), probe(account('sticky', { priority: 5 }), 3)];

    // Act
    const ranked = rankProbed(probed, 'sticky');

    // Assess
    assert.deepEqual(ids(ranked.map((p) => p.account)), ['sticky', 'idle']);
  });

  it('does not let a full sticky account ahead of accounts with room', () => {
    // Prepare
    const probed = [probe(account('sticky'), 4), probe(account('busy'), 3)];

    // Act
    const ranked = rankProbed(probed, 'sticky');

    // Assess
    assert.deepEqual(ids(ranked.map((p) => p.account)), ['busy', 'sticky']);
  });

  it('keeps the least-recently-used order between accounts of equal priority and load', () => {
    // Prepare
    const probed = [probe(account('older'), 1), probe(account('newer'), 1)];

    // Act
    const ranked = rankProbed(probed);

    // Assess
    assert.deepEqual(ids(ranked.map((p) => p.account)), ['older', 'newer']);
  });

  it('ranks full accounts by priority, then load, for the wait plan', () => {
    // Prepare
    const probed = [
      probe(account('sticky-low-priority', { priority: 3 }), 4),
      probe(account('over', { concurrency: 2 }), 3),
      probe(account('full'), 4),
    ];

    // Act
    const ranked = rankProbed(probed, 'sticky-low-priority');

    // Assess
    assert.deepEqual(ids(ranked.map((p) => p.account)), ['full', 'over', 'sticky-low-priority']);
  });
});
