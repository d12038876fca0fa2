import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import type { Alert } from '#shared/alerts/alert.ts';
import { buildAlertEntry } from '#shared/alerts/alert-publisher.ts';
import { buildUsageEventEntry } from '#shared/events/eventbridge-publisher.ts';
import { matchesEventPattern } from './support/event-pattern.ts';
import { envelopeOf } from './support/eventbridge-envelope.ts';
import { logicalIdByPath, resourcesOfType, synthForSuite, TEST_STAGE } from './support/synth-quotagate.ts';

const alert: Alert = {
  alertId: 'low_balance:usr_1:req_1',
  kind: 'low_balance',
  at: '2026-12-03T10:00:00.000Z',
  userId: 'usr_1',
  email: 'ada@example.com',
  valueNano: 400_000_000,
  limitNano: 1_000_000_000,
  requestId: 'req_1',
};

describe('QuotagateStack: alerts topic', () => {
  const synth = synthForSuite();
  let pattern: unknown;
  before(() => {
    const ruleId = logicalIdByPath(synth.template, 'AWS::Events::Rule', 'Alerts/Rule/Resource');
    pattern = resourcesOfType(synth.template, 'AWS::Events::Rule')[ruleId]?.Properties.EventPattern;
  });

  it('encrypts the topic with a rotated customer-managed key that EventBridge may use', () => {
    const keyId = logicalIdByPath(synth.template, 'AWS::KMS::Key', 'Alerts/Key/Resource');
    synth.template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: `quotagate-${TEST_STAGE}-alerts`,
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    synth.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Effect: 'Allow',
          }),
        ]),
      },
    });
  });

  it('refuses publishers without TLS and lets the rule publish', () => {
    const topicId = logicalIdByPath(synth.template, 'AWS::SNS::Topic', 'Alerts/Topic/Resource');
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
          }),
        ]),
      },
    });
  });

  it('routes the alert events of the stage bus to the topic, with retries and the dead-letter queue', () => {
    const topicId = logicalIdByPath(synth.template, 'AWS::SNS::Topic', 'Alerts/Topic/Resource');
    const queueId = logicalIdByPath(synth.template, 'AWS::SQS::Queue', 'Usage/DeadLetterQueue/Resource');
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: logicalIdByPath(synth.template, 'AWS::Events::EventBus', 'Usage/Bus/Resource') },
      Targets: [
        {
          Arn: { Ref: topicId },
          Id: Match.anyValue(),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
        },
      ],
    });
  });

  it("matches the recorder's alert entries and nothing the gateway sends", () => {
    assert.equal(matchesEventPattern(pattern, envelopeOf(buildAlertEntry(alert, 'quotagate-test'))), true);
    const usage = buildUsageEventEntry(
      {
        version: 1,
        requestId: 'req_1',
        startedAt: alert.at,
        endedAt: alert.at,
        userId: 'usr_1',
        apiKeyId: 'key_1',
        groupId: 'g',
        accountId: 'a',
        billingMode: 'balance',
        rateMultiplier: 1,
        modelRequested: 'm',
        modelSent: 'm',
        stream: false,
        status: 200,
        upstreamStatus: 200,
        usage: { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1, reasoningTokens: 0 },
        cutShort: false,
        durationMs: 1,
        firstTokenMs: 1,
        failovers: 0,
      },
      'quotagate-test',
    );
    assert.equal(matchesEventPattern(pattern, envelopeOf(usage)), false);
  });

  it('outputs the topic to subscribe to', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const topicId = logicalIdByPath(synth.template, 'AWS::SNS::Topic', 'Alerts/Topic/Resource');
    assert.deepEqual(outputs.AlertsTopicArn?.Value, { Ref: topicId });
  });

  it('lets the recorder put events on the bus and names the bus to it', () => {
    const recorderId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'Usage/Recorder/Resource');
    const busId = logicalIdByPath(synth.template, 'AWS::Events::EventBus', 'Usage/Bus/Resource');
    const recorder = resourcesOfType(synth.template, 'AWS::Lambda::Function')[recorderId];
    const environment = recorder?.Properties.Environment as
      | { Variables: Record<string, unknown> }
      | undefined;
    const variables = environment?.Variables ?? {};
    assert.deepEqual(variables.QG_EVENT_BUS_NAME, { Ref: busId });
    synth.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } }),
        ]),
      },
    });
  });
});
