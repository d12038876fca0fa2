/**
 * What every function that only a schedule invokes shares (token refresh, usage export): no
 * retries and no dead letters (the next tick repeats the whole pass, so a parked copy of a failed
 * tick holds nothing to redrive; the findings are acknowledged with that reason), events older
 * than one interval dropped, and an errors alarm on the first failure within an interval.
 *
 * A construct that is such a function extends {@link ScheduledFunction} and adds its schedule.
 * The children keep the ids `Function` and `ErrorsAlarm` directly under that construct, so their
 * logical ids (and the named alarms) stay where they were before this was shared.
 *
 * @example
 * ```ts
 * class TokenRefresh extends ScheduledFunction {
 *   constructor(scope: Construct, id: string) {
 *     super(scope, id, {
 *       ...observability, entry, serviceName: 'token-refresh', memorySize: 256, timeout,
 *       interval: Duration.minutes(5), noDeadLettersReason, errorsAlarm: { name, description },
 *     });
 *   }
 * }
 * ```
 */
import { type Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { QuotagateFunction, type QuotagateFunctionProps } from './quotagate-function.ts';

export interface ScheduledFunctionProps
  extends Omit<QuotagateFunctionProps, 'retryAttempts' | 'maxEventAge' | 'onFailure'> {
  /** How often the schedule runs: the oldest tick still worth running, and the alarm's period. */
  readonly interval: Duration;
  /** Why a failed tick needs no dead-letter queue (shown beside the acknowledged findings). */
  readonly noDeadLettersReason: string;
  /** The alarm raised by a failed run (uncaught error or timeout). */
  readonly errorsAlarm: { readonly name: string; readonly description: string };
}

/** The function and its errors alarm, as children `Function` and `ErrorsAlarm` of the construct. */
export abstract class ScheduledFunction extends Construct {
  readonly function: QuotagateFunction;
  readonly errorsAlarm: Alarm;

  protected constructor(scope: Construct, id: string, props: ScheduledFunctionProps) {
    super(scope, id);
    const { interval, noDeadLettersReason, errorsAlarm, ...functionProps } = props;
    this.function = new QuotagateFunction(this, 'Function', {
      ...functionProps,
      // A failed run is retried by the next tick; a retry in between would only overlap it.
      retryAttempts: 0,
      maxEventAge: interval,
    });
    Validations.of(this.function).acknowledge(
      { id: 'Serverless-LambdaDLQ', reason: noDeadLettersReason },
      { id: 'Serverless-LambdaAsyncFailureDestination', reason: noDeadLettersReason },
    );
    this.errorsAlarm = new Alarm(this, 'ErrorsAlarm', {
      alarmName: errorsAlarm.name,
      alarmDescription: errorsAlarm.description,
      metric: this.function.metricErrors({ statistic: 'Sum', period: interval }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
