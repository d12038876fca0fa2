/**
 * What the domain layers refuse, said in their own terms: no account can serve, a wait queue is
 * full, a wait ran out. They carry meaning, never HTTP: `shared/error-answers.ts` is the one
 * place that turns them into the status, type, message and `Retry-After` a client reads, so the
 * concurrency layer knows nothing of OpenAI's wording and callers test a class, not a status.
 *
 * @example
 * ```ts
 * try { await selectAccount(request); } catch (error) { if (error instanceof NoAccountsError) … }
 * ```
 */

/** Why no account is a candidate, the first filter that emptied the list. */
export type NoAccountsReason =
  | { kind: 'no_group_account' }
  | { kind: 'no_model_account'; model: string }
  | { kind: 'all_disabled' }
  | { kind: 'all_in_error' }
  /** `untilMs`: epoch ms the first cooldown ends; `retryAfterSeconds` from the time it was decided. */
  | { kind: 'all_cooling_down'; untilMs: number; retryAfterSeconds: number };

/** No account of the caller's group can serve the model now (none fits, or every one is out). */
export class NoAccountsError extends Error {
  readonly reason: NoAccountsReason;

  constructor(reason: NoAccountsReason) {
    super(`no account can serve: ${reason.kind}`);
    this.name = 'NoAccountsError';
    this.reason = reason;
  }
}

/** Whose slots a request waits for: the user's own concurrency or an account's. */
export type WaitScope = 'user' | 'account';

/** Every place in the wait queue is taken; the request is refused without waiting. */
export class QueueFullError extends Error {
  readonly scope: WaitScope;

  constructor(scope: WaitScope) {
    super(`${scope} wait queue is full`);
    this.name = 'QueueFullError';
    this.scope = scope;
  }
}

/** The request waited its whole allowance and no slot freed. */
export class WaitTimedOutError extends Error {
  readonly scope: WaitScope;

  constructor(scope: WaitScope) {
    super(`no ${scope} slot freed within the wait`);
    this.name = 'WaitTimedOutError';
    this.scope = scope;
  }
}
