/**
 * An EventBridge rule on the default bus (scheduled rules live only there) that invokes a
 * function every `interval`: the token refresh's pass and the recorder's drain of parked events.
 * A trigger older than one interval is superseded by the next one, so the target gives up on it
 * after that age; a failed invoke is retried twice within it, then dropped, or parked in
 * `deadLetterQueue` when one is given.
 *
 * @example
 * ```ts
 * const rule = intervalRule(this, 'Schedule', {
 *   ruleName: 'quotagate-dev-token-refresh', description: 'Refreshes tokens that expire soon',
 *   interval: Duration.minutes(5), target: fn,
 * });
 * ```
 */
import type { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface IntervalRuleProps {
  readonly ruleName: string;
  readonly description: string;
  /** How often the rule fires, and the oldest trigger still worth delivering. */
  readonly interval: Duration;
  readonly target: IFunction;
  /** Where a trigger goes when every invoke of it failed; none drops it. */
  readonly deadLetterQueue?: IQueue;
}

/** The rule, as child `id` of `scope`, with `target` as its one target. */
export function intervalRule(scope: Construct, id: string, props: IntervalRuleProps): Rule {
  const rule = new Rule(scope, id, {
    ruleName: props.ruleName,
    description: props.description,
    schedule: Schedule.rate(props.interval),
  });
  rule.addTarget(
    new LambdaFunction(props.target, {
      retryAttempts: 2,
      maxEventAge: props.interval,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
    }),
  );
  return rule;
}
