/**
 * Alarms notify the deployment's SNS topic (given as `alarmTopicArn`) when they fire and when they
 * return to OK, the same way for every construct that raises alarms. The imported topic is the
 * child `AlarmTopic` of the caller's scope.
 *
 * @example
 * ```ts
 * notifyAlarms(this, props.alarmTopicArn, [this.errorsAlarm]);
 * ```
 */
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** Has `alarms` notify the topic (on alarm and back to OK); no topic, no notification. */
export function notifyAlarms(scope: Construct, topicArn: string | undefined, alarms: readonly Alarm[]): void {
  if (!topicArn) return;
  const action = new SnsAction(Topic.fromTopicArn(scope, 'AlarmTopic', topicArn));
  for (const alarm of alarms) {
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}
