import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkBillingEligibility, type EligibilityInput } from '#shared/billing/eligibility.ts';
import { planWindowSteps, WINDOWS, windowUsage } from '#shared/billing/subscription-windows.ts';
import type { ApiKey, Group, Subscription, User } from '#shared/domain/types.ts';
import { GatewayError } from '#shared/errors.ts';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const HOUR = 3_600_000;
const created = '2026-01-01T00:00:00.000Z';

const user: User = {
  id: 'u',
  email: 'u@x',
  status: 'active',
  concurrency: 0,
  balanceNano: 1,
  createdAt: created,
};
const key: ApiKey = {
  id: 'k',
  hash: 'h',
  prefix: 'p',
  userId: 'u',
  groupId: 'g',
  name: 'k',
  status: 'active',
  createdAt: created,
};
const balanceGroup: Group = {
  id: 'g',
  name: 'g',
  rateMultiplier: 1,
  billingMode: 'balance',
  createdAt: created,
};
const subscriptionGroup: Group = {
  ...balanceGroup,
  billingMode: 'subscription',
  dailyLimitNano: 1_000,
  weeklyLimitNano: 5_000,
  monthlyLimitNano: 10_000,
};
const subscription: Subscription = {
  userId: 'u',
  groupId: 'g',
  status: 'active',
  expiresAt: '2027-01-01T00:00:00.000Z',
  createdAt: created,
};

function input(overrides: Partial<EligibilityInput> = {}): EligibilityInput {
  return {
    user,
    key,
    group: balanceGroup,
    subscription: undefined,
    model: 'gpt-5.1-codex',
    now: NOW,
    ...overrides,
  };
}

function refusal(candidate: EligibilityInput): { status: number; code: string | undefined; message: string } {
  try {
    checkBillingEligibility(candidate);
  } catch (error) {
    assert.ok(error instanceof GatewayError);
    return { status: error.status, code: error.code, message: error.message };
  }
  assert.fail('expected a refusal');
}

describe('checkBillingEligibility in balance mode', () => {
  it('lets a request start while the balance is above zero', () => {
    assert.doesNotThrow(() => checkBillingEligibility(input()));
  });

  it('returns 403 INSUFFICIENT_BALANCE at zero or below', () => {
    for (const balanceNano of [0, -5]) {
      assert.deepEqual(refusal(input({ user: { ...user, balanceNano } })), {
        status: 403,
        code: 'INSUFFICIENT_BALANCE',
        message: 'Insufficient account balance',
      });
    }
  });
});

describe('checkBillingEligibility for key options', () => {
  it('returns 403 once the key has expired', () => {
    const expired = { ...key, expiresAt: new Date(NOW).toISOString() };
    assert.equal(refusal(input({ key: expired })).status, 403);
    assert.equal(refusal(input({ key: expired })).code, 'API_KEY_EXPIRED');
    assert.doesNotThrow(() => checkBillingEligibility(input({ key: { ...key, expiresAt: '2030-01-01' } })));
  });

  it('treats an unreadable expiry as expired', () => {
    assert.equal(refusal(input({ key: { ...key, expiresAt: 'soon' } })).code, 'API_KEY_EXPIRED');
  });

  it('returns 429 once the key quota is spent', () => {
    const spent = { ...key, quotaNano: 500, usedNano: 500 };
    assert.deepEqual(refusal(input({ key: spent })), {
      status: 429,
      code: 'API_KEY_QUOTA_EXHAUSTED',
      message: 'API key quota exhausted',
    });
    assert.doesNotThrow(() =>
      checkBillingEligibility(input({ key: { ...key, quotaNano: 500, usedNano: 499 } })),
    );
  });

  it('says why an expired key is refused, from the instant it expires', () => {
    const expiring = { ...key, expiresAt: new Date(NOW).toISOString() };
    assert.deepEqual(refusal(input({ key: expiring })), {
      status: 403,
      code: 'API_KEY_EXPIRED',
      message: 'API key has expired',
    });
    assert.doesNotThrow(() =>
      checkBillingEligibility(input({ key: { ...key, expiresAt: new Date(NOW + 1).toISOString() } })),
    );
  });

  it('lets any model through a key whose allowed list is empty', () => {
    assert.doesNotThrow(() => checkBillingEligibility(input({ key: { ...key, allowedModels: [] } })));
  });

  it('returns 403 for a model outside the key allowed list', () => {
    const limited = { ...key, allowedModels: ['gpt-5.1-codex-mini'] };
    assert.deepEqual(refusal(input({ key: limited })), {
      status: 403,
      code: 'MODEL_NOT_ALLOWED',
      message: 'Model gpt-5.1-codex is not allowed for this API key',
    });
    assert.doesNotThrow(() => checkBillingEligibility(input({ key: limited, model: 'gpt-5.1-codex-mini' })));
  });
});

describe('checkBillingEligibility in subscription mode', () => {
  const sub = (overrides: Partial<Subscription> = {}) =>
    input({
      group: subscriptionGroup,
      subscription: { ...subscription, ...overrides },
      user: { ...user, balanceNano: 0 },
    });

  it('ignores the balance and lets an active subscription under its limits through', () => {
    assert.doesNotThrow(() => checkBillingEligibility(sub()));
  });

  it('returns 403 without a subscription, and for a disabled or expired one', () => {
    assert.deepEqual(refusal(input({ group: subscriptionGroup })), {
      status: 403,
      code: 'SUBSCRIPTION_NOT_FOUND',
      message: 'No active subscription found for this group',
    });
    assert.equal(refusal(sub({ expiresAt: new Date(NOW).toISOString() })).code, 'SUBSCRIPTION_INVALID');
    assert.equal(refusal(sub({ status: 'disabled' })).code, 'SUBSCRIPTION_INVALID');
    assert.deepEqual(refusal(sub({ expiresAt: '2026-11-27T11:59:59.000Z' })), {
      status: 403,
      code: 'SUBSCRIPTION_INVALID',
      message: 'subscription is invalid or expired',
    });
  });

  it('returns 429 USAGE_LIMIT_EXCEEDED when a running window reached its limit', () => {
    const started = NOW - HOUR;
    assert.deepEqual(refusal(sub({ dailyWindowStartMs: started, dailyUsedNano: 1_000 })), {
      status: 429,
      code: 'USAGE_LIMIT_EXCEEDED',
      message: 'daily usage limit exceeded',
    });
    assert.equal(
      refusal(sub({ weeklyWindowStartMs: started, weeklyUsedNano: 5_000 })).message,
      'weekly usage limit exceeded',
    );
    assert.equal(
      refusal(sub({ monthlyWindowStartMs: started, monthlyUsedNano: 10_001 })).message,
      'monthly usage limit exceeded',
    );
  });

  it('counts a window that ran out as reset', () => {
    const yesterday = NOW - 24 * HOUR;
    assert.doesNotThrow(() =>
      checkBillingEligibility(sub({ dailyWindowStartMs: yesterday, dailyUsedNano: 9_999 })),
    );
  });

  it('has no limit for a window the group leaves unset', () => {
    const unlimited = { ...subscriptionGroup, dailyLimitNano: undefined };
    const heavy = { ...subscription, dailyWindowStartMs: NOW - HOUR, dailyUsedNano: 1_000_000 };
    assert.doesNotThrow(() => checkBillingEligibility(input({ group: unlimited, subscription: heavy })));
  });
});

describe('subscription windows', () => {
  const daily = WINDOWS[0] as (typeof WINDOWS)[number];

  it('report use, limit and reset time of a running window', () => {
    const usage = windowUsage(
      { dailyWindowStartMs: NOW - HOUR, dailyUsedNano: 42 },
      daily,
      NOW,
      subscriptionGroup,
    );
    assert.deepEqual(usage, {
      name: 'daily',
      usedNano: 42,
      limitNano: 1_000,
      startedAt: NOW - HOUR,
      resetsAt: NOW + 23 * HOUR,
    });
  });

  it('start on first use and restart a window that ran out, keeping the running ones', () => {
    const steps = planWindowSteps(
      { dailyWindowStartMs: NOW - 25 * HOUR, weeklyWindowStartMs: NOW - 25 * HOUR, weeklyUsedNano: 7 },
      NOW,
    );
    assert.deepEqual(
      steps.map((step) => [step.window.name, step.expectedStart, step.newStart]),
      [
        ['daily', NOW - 25 * HOUR, NOW],
        ['weekly', NOW - 25 * HOUR, undefined],
        ['monthly', undefined, NOW],
      ],
    );
  });

  it('add a request made before the running window started to that window', () => {
    const [dailyStep] = planWindowSteps({ dailyWindowStartMs: NOW }, NOW - HOUR);
    assert.equal(dailyStep?.newStart, undefined);
  });
});
