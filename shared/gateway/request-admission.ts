/**
 * What runs beside the user-slot take, in the same wave of DynamoDB requests, so that none of it
 * adds a sequential round trip before the upstream request:
 *
 * - **the key's request allowance** (`key-rate-limit.ts`), for a key with `requestsPerMinute`;
 * - **what the key spent in its budget period** (`shared/billing/key-budget.ts`), for a key with
 *   a `budget`: its daily aggregates of the period (a failed read is logged and not checked);
 * - **the fresh billing state** (key spend, balance, subscription windows) read strongly
 *   consistently, bypassing the config cache. The billing check runs again on it once the slot is
 *   held, so a limit is checked against every charge recorded before the request was admitted;
 *   what can still overshoot is only what is in flight (docs/finance.md gives the bound). A slot
 *   not won in that wave (the user was at its limit and queued) reads it once more.
 * - **the `started` usage record** (`shared/recorder/request-start.ts`), so a request the gateway
 *   never finishes (killed process, crashed runtime) still leaves a record: the sweep closes it
 *   as `lost`. A request that ends unserved removes it again.
 *
 * Neither promise rejects: a failed fresh read falls back to what authentication loaded (logged),
 * and a failed `started` write only loses that safety net (logged).
 *
 * @example
 * ```ts
 * const side = beginAdmission(request, caller, body, deps, route);
 * const { user, first } = await takeSlots(…);
 * deps.checkEligibility(await side.billingCaller(first === undefined), body.model, deps.now());
 * ```
 */
import { budgetWindow, checkKeyBudget } from '../billing/key-budget.ts';
import { STARTED_GRACE_MS, startedRecordOf } from '../recorder/request-start.ts';
import type { BillingState } from '../store/config-directory.ts';
import type { Caller } from './authenticate.ts';
import type { GatewayDeps } from './deps.ts';
import type { GatewayRequest } from './http.ts';
import { takeRequestAllowance } from './key-rate-limit.ts';
import type { ResponsesBody } from './responses-body.ts';

export interface Admission {
  /** Rejects with the 429 when the key has used its requests of this minute; `takeSlots` awaits it. */
  allowance: Promise<void>;
  /**
   * The caller with the billing state as fresh as the slot: the read of the slot's wave, or a new
   * one when `readAgain` (the slot was not won in that wave: the request queued or retried).
   */
  billingCaller(readAgain: boolean): Promise<Caller>;
  /**
   * Settles the `started` record at the request's end: a served request's event replaces it, so
   * only its write is awaited (nothing may be left running when a Lambda invocation ends); an
   * unserved one removes it.
   */
  finish(served: boolean): Promise<void>;
  /** Throws the 429 when the key has spent its budget of the period (keys with a `budget`). */
  checkBudget(): Promise<void>;
}

export function beginAdmission(
  request: GatewayRequest,
  caller: Caller,
  body: ResponsesBody,
  deps: GatewayDeps,
  route: string,
): Admission {
  const readFresh = (loadedSince?: number): Promise<BillingState | undefined> =>
    deps.billingState
      .readBillingState(
        caller.key.hash,
        caller.user.id,
        caller.group.billingMode === 'subscription' ? caller.group.id : undefined,
        loadedSince,
      )
      .catch((error: unknown) => {
        deps.logger.warn('fresh billing read failed; checking the cached values', { error: String(error) });
        return undefined;
      });
  const budget = caller.key.budget && budgetWindow(caller.key.budget.period, deps.now());
  const budgetSpent = budget
    ? deps.usageReader
        .dailyAggregates('key', caller.key.id, budget.fromDay, budget.toDay)
        .then((days) => days.reduce((sum, day) => sum + (day.billedNano ?? 0), 0))
        .catch((error: unknown) => {
          deps.logger.warn('key budget read failed; the budget is not checked', { error: String(error) });
          return undefined;
        })
    : undefined;
  // What this request's own (cold-cache) reads loaded is fresh already: no second read then.
  const fresh = readFresh(request.receivedAt);
  const started = deps.requestStarts
    .markStarted(
      startedRecordOf(
        {
          requestId: request.requestId,
          receivedAt: request.receivedAt,
          userId: caller.user.id,
          apiKeyId: caller.key.id,
          groupId: caller.group.id,
          billingMode: caller.group.billingMode,
          rateMultiplier: caller.group.rateMultiplier,
          modelRequested: body.model,
          stream: body.stream,
          route,
        },
        deps.now(),
      ),
      request.deadlineAt + STARTED_GRACE_MS,
    )
    .then(
      () => true,
      (error: unknown) => {
        deps.logger.warn('started usage record not written', { error: String(error) });
        return false;
      },
    );
  return {
    allowance: takeRequestAllowance(deps, caller.key),
    async billingCaller(readAgain) {
      const state = readAgain ? await readFresh() : await fresh;
      if (!state) return caller;
      return {
        ...caller,
        key: state.key ?? caller.key,
        user: state.user ?? caller.user,
        subscription: caller.group.billingMode === 'subscription' ? state.subscription : caller.subscription,
      };
    },
    async checkBudget() {
      const spent = await budgetSpent;
      if (spent !== undefined) checkKeyBudget(caller.key, spent, deps.now());
    },
    async finish(served) {
      if (!(await started) || served) return;
      await deps.requestStarts.forget(request.requestId).catch((error: unknown) => {
        // The sweep will call it lost; an unserved request is then listed with nothing billed.
        deps.logger.warn('started usage record not removed', { error: String(error) });
      });
    },
  };
}
