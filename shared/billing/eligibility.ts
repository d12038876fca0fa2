/**
 * May this caller start a request for this model now? A pure function of what the gateway has
 * already loaded, so it runs before the wait and again after it without any I/O. It throws the
 * GatewayError a client should see, with the messages and codes listed in docs/architecture.md
 * (its API-key middleware and BillingCacheService):
 *
 * - key expired → 403 `API_KEY_EXPIRED`; model not in the key's list → 403 `MODEL_NOT_ALLOWED`;
 *   key quota spent → 429 `API_KEY_QUOTA_EXHAUSTED`;
 * - subscription group: no subscription → 403 `SUBSCRIPTION_NOT_FOUND`, disabled or expired →
 *   403 `SUBSCRIPTION_INVALID`, a window at its limit → 429 `USAGE_LIMIT_EXCEEDED`;
 * - balance group: balance ≤ 0 → 403 `INSUFFICIENT_BALANCE`.
 *
 * Charges land after the response, so a request that starts with 1 nano-USD left may take the
 * balance (or a window, or a key quota) below zero; the next request is then refused.
 *
 * @example
 * ```ts
 * checkBillingEligibility({ ...caller, model: 'gpt-5.1-codex', now: Date.now() }); // throws or returns
 * ```
 */
import type { ApiKey, Group, Subscription, User } from '../domain/types.ts';
import { GatewayError } from '../errors.ts';
import { WINDOWS, windowUsage } from './subscription-windows.ts';

export interface EligibilityInput {
  user: User;
  key: ApiKey;
  group: Group;
  /** The user's subscription to the key's group, if any. */
  subscription: Subscription | undefined;
  /** The model the client asked for. */
  model: string;
  /** Epoch ms. */
  now: number;
}

function checkKey(key: ApiKey, model: string, now: number): void {
  // Written as `!(now < …)` so an unreadable date counts as expired (fails closed).
  if (key.expiresAt !== undefined && !(now < Date.parse(key.expiresAt))) {
    throw GatewayError.forbidden('API key has expired', 'API_KEY_EXPIRED');
  }
  if (key.allowedModels && key.allowedModels.length > 0 && !key.allowedModels.includes(model)) {
    throw GatewayError.forbidden(`Model ${model} is not allowed for this API key`, 'MODEL_NOT_ALLOWED');
  }
  // Stryker disable next-line ConditionalExpression: without a quota the comparison with undefined is false anyway.
  if (key.quotaNano !== undefined && (key.usedNano ?? 0) >= key.quotaNano) {
    throw GatewayError.rateLimited('API key quota exhausted', 'API_KEY_QUOTA_EXHAUSTED');
  }
}

function checkSubscription(group: Group, subscription: Subscription | undefined, now: number): void {
  if (!subscription) {
    throw GatewayError.forbidden('No active subscription found for this group', 'SUBSCRIPTION_NOT_FOUND');
  }
  if (subscription.status !== 'active' || !(now < Date.parse(subscription.expiresAt))) {
    throw GatewayError.forbidden('subscription is invalid or expired', 'SUBSCRIPTION_INVALID');
  }
  for (const window of WINDOWS) {
    const usage = windowUsage(subscription, window, now, group);
    // Stryker disable next-line ConditionalExpression: without a limit the comparison with undefined is false anyway.
    if (usage.limitNano !== undefined && usage.usedNano >= usage.limitNano) {
      throw GatewayError.rateLimited(`${window.name} usage limit exceeded`, 'USAGE_LIMIT_EXCEEDED');
    }
  }
}

export function checkBillingEligibility(input: EligibilityInput): void {
  const { user, key, group, subscription, model, now } = input;
  checkKey(key, model, now);
  if (group.billingMode === 'subscription') {
    checkSubscription(group, subscription, now);
    return;
  }
  if (user.balanceNano <= 0) {
    throw GatewayError.forbidden('Insufficient account balance', 'INSUFFICIENT_BALANCE');
  }
}
