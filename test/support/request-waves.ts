/**
 * Counts the waves of DynamoDB requests a piece of code sends: a wave ends when no request is in
 * flight any more, so requests sent together are one wave and a request sent after another's
 * answer is a second (the round trips before the upstream that the budgets bound). Both clients
 * report to the request counter's observer.
 *
 * @example
 * ```ts
 * const waves = watchRequestWaves(); // in before()
 * const start = waves.completed; await serve(); const roundTrips = waves.completed - start;
 * stopWatchingRequestWaves(); // in after()
 * ```
 */
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';

export interface RequestWaves {
  inFlight: number;
  completed: number;
}

export function watchRequestWaves(): RequestWaves {
  const waves: RequestWaves = { inFlight: 0, completed: 0 };
  dynamoRequestCounter.observer = () => {
    waves.inFlight++;
    return () => {
      if (--waves.inFlight === 0) waves.completed++;
    };
  };
  return waves;
}

export function stopWatchingRequestWaves(): void {
  dynamoRequestCounter.observer = undefined;
}
