/**
 * Where alerts go (`shared/alerts/`): the recorder puts them on the stack's bus, and a rule that
 * matches exactly the alert events sends them to an SNS topic, which teams subscribe to (mail,
 * chat webhooks through AWS Chatbot or a Lambda, …). The topic is encrypted with a
 * customer-managed KMS key, since EventBridge can publish to an encrypted topic only with a key
 * whose policy lets it (an AWS-managed `alias/aws/sns` key cannot be given to EventBridge), and
 * it accepts only TLS publishers. The rule retries and dead-letters like the usage rule.
 *
 * @example
 * ```ts
 * const alerts = new Alerts(this, 'Alerts', { stage, bus: usage.bus, deadLetterQueue: usage.deadLetterQueue });
 * alerts.topic.topicArn; // subscribe to this
 * ```
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALERT_EVENT_DETAIL_TYPE, ALERT_EVENT_SOURCE } from '#shared/alerts/alert.ts';

export interface AlertsProps {
  readonly stage: string;
  readonly bus: IEventBus;
  /** Where an alert EventBridge could not deliver to the topic ends up. */
  readonly deadLetterQueue: IQueue;
}

export class Alerts extends Construct {
  readonly topic: Topic;
  readonly key: Key;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: AlertsProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      alias: `alias/quotagate-${props.stage}-alerts`,
      description: `quotagate ${props.stage}: encrypts the alerts topic`,
      enableKeyRotation: true,
      // Holds nothing at rest once messages are delivered; nothing is lost with it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topic = new Topic(this, 'Topic', {
      topicName: `quotagate-${props.stage}-alerts`,
      displayName: `quotagate ${props.stage} alerts`,
      masterKey: this.key,
      enforceSSL: true,
    });
    this.rule = new Rule(this, 'Rule', {
      ruleName: `quotagate-${props.stage}-alerts-to-topic`,
      eventBus: props.bus,
      description: 'Low-balance, key quota and key budget alerts from the recorder, to the alerts topic',
      eventPattern: { source: [ALERT_EVENT_SOURCE], detailType: [ALERT_EVENT_DETAIL_TYPE] },
    });
    // The target also lets events.amazonaws.com use the key (kms:Decrypt, kms:GenerateDataKey*).
    this.rule.addTarget(
      new SnsTopic(this.topic, {
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
        deadLetterQueue: props.deadLetterQueue,
      }),
    );
  }
}
