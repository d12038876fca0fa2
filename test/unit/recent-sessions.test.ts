import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentSessions } from '#shared/concurrency/recent-sessions.ts';

const NOW = 1_800_000_000;
const bound = (accountId: string, expiresAt = NOW + 3600) => ({ accountId, expiresAt });

describe('RecentSessions', () => {
  it('names the account a session was last seen bound to, in its group only', () => {
    // Prepare
    const recent = new RecentSessions();

    // Act
    recent.note('g_1', 'h1', bound('acct_a'));
    recent.note('g_1', 'h1', bound('acct_b'));

    // Assess
    assert.equal(recent.accountOf('g_1', 'h1', NOW), 'acct_b');
    assert.equal(recent.accountOf('g_2', 'h1', NOW), undefined);
  });

  it('forgets a session read without a binding, and a binding past its expiry', () => {
    // Prepare
    const recent = new RecentSessions();
    recent.note('g_1', 'gone', bound('acct_a'));
    recent.note('g_1', 'lapsed', bound('acct_a', NOW - 1));

    // Act
    recent.note('g_1', 'gone', undefined);

    // Assess
    assert.equal(recent.accountOf('g_1', 'gone', NOW), undefined);
    assert.equal(recent.accountOf('g_1', 'lapsed', NOW), undefined);
    assert.equal(recent.size, 0);
  });

  it('stays within its bound when one key holder floods it with session ids', () => {
    // Prepare
    const recent = new RecentSessions(3);
    recent.note('g_1', 'victim', bound('acct_a'));

    // Act
    for (let i = 0; i < 100; i++) recent.note('g_1', `flood${i}`, bound('acct_b'));

    // Assess
    assert.equal(recent.size, 3);
    assert.equal(recent.accountOf('g_1', 'flood99', NOW), 'acct_b');
    assert.equal(recent.accountOf('g_1', 'victim', NOW), undefined);
  });

  it('keeps a used session while fewer new ones arrive than its bound', () => {
    // Prepare
    const recent = new RecentSessions(3);
    recent.note('g_1', 'old', bound('acct_a'));
    recent.note('g_1', 'kept', bound('acct_a'));
    recent.note('g_1', 'mid', bound('acct_a'));

    // Act
    recent.accountOf('g_1', 'old', NOW);
    recent.note('g_1', 'new', bound('acct_b'));

    // Assess: `kept` was the least recently used once `old` was read.
    assert.equal(recent.accountOf('g_1', 'old', NOW), 'acct_a');
    assert.equal(recent.accountOf('g_1', 'kept', NOW), undefined);
    assert.equal(recent.size, 3);
  });
});
