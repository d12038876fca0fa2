import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { readStackConfig } from '../../infra/stack-config.ts';

function configFrom(context: Record<string, unknown>) {
  return readStackConfig(new App({ context }).node);
}

describe('stack configuration from CDK context', () => {
  it('uses the documented defaults when the context is empty', () => {
    // Act
    const config = configFrom({});

    // Assess
    assert.equal(config.stage, 'dev');
    assert.equal(config.logLevel, 'INFO');
    assert.equal(config.logRetention, RetentionDays.ONE_MONTH);
    assert.equal(config.gatewayReservedConcurrency, undefined);
    assert.equal(config.alarmTopicArn, undefined);
    assert.deepEqual(config.gatewayEnvironment, {});
    assert.deepEqual(config.usageExports, {
      infrequentAccessAfterDays: 30,
      lagAlarmHours: 30,
      recordTtlDays: undefined,
    });
  });

  it('reads the usage export settings and rejects ones S3 or the daily schedule cannot honour', () => {
    assert.deepEqual(
      configFrom({ usageExportInfrequentAccessDays: '60', usageExportLagAlarmHours: 48 }).usageExports,
      { infrequentAccessAfterDays: 60, lagAlarmHours: 48, recordTtlDays: undefined },
    );
    assert.equal(configFrom({ usageRecordTtlDays: 400 }).usageExports.recordTtlDays, 400);
    assert.throws(() => configFrom({ usageRecordTtlDays: 14 }), /usageRecordTtlDays.*at least 35/);
    assert.throws(() => configFrom({ usageRecordTtlDays: '1.5' }), /usageRecordTtlDays.*at least 35/);
    assert.throws(
      () => configFrom({ usageExportInfrequentAccessDays: 29 }),
      /usageExportInfrequentAccessDays.*at least 30/,
    );
    assert.throws(
      () => configFrom({ usageExportLagAlarmHours: 24 }),
      /usageExportLagAlarmHours.*at least 25/,
    );
  });

  it('hands runtime tunables to the gateway as the QG_ variables shared/settings.ts reads', () => {
    // Prepare: `-c key=value` gives strings, cdk.json gives numbers
    const context = {
      leaseSeconds: '60',
      accountMaxWaiting: 5,
      chatgptBaseUrl: 'https://example.test/codex',
    };

    // Act
    const config = configFrom(context);

    // Assess
    assert.deepEqual(config.gatewayEnvironment, {
      QG_LEASE_SECONDS: '60',
      QG_ACCOUNT_MAX_WAITING: '5',
      QG_CHATGPT_BASE_URL: 'https://example.test/codex',
    });
  });

  it('reads stage, log level, retention, reserved concurrency and alarm topic', () => {
    // Act
    const config = configFrom({
      stage: 'prod',
      logLevel: 'debug',
      logRetentionDays: '90',
      gatewayReservedConcurrency: '50',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops',
    });

    // Assess
    assert.equal(config.stage, 'prod');
    assert.equal(config.logLevel, 'DEBUG');
    assert.equal(config.logRetention, RetentionDays.THREE_MONTHS);
    assert.equal(config.gatewayReservedConcurrency, 50);
    assert.equal(config.alarmTopicArn, 'arn:aws:sns:eu-west-1:123456789012:ops');
  });

  it('treats an empty or null reserved concurrency as not reserved', () => {
    assert.equal(configFrom({ gatewayReservedConcurrency: '' }).gatewayReservedConcurrency, undefined);
    assert.equal(configFrom({ gatewayReservedConcurrency: null }).gatewayReservedConcurrency, undefined);
  });

  it('rejects a stage that cannot be part of a table name', () => {
    assert.throws(() => configFrom({ stage: 'Prod' }), /context "stage"/);
    assert.throws(() => configFrom({ stage: 'my_stage' }), /context "stage"/);
    assert.throws(() => configFrom({ stage: '1st' }), /context "stage"/);
  });

  it('rejects an unknown log level', () => {
    assert.throws(() => configFrom({ logLevel: 'VERBOSE' }), /context "logLevel"/);
  });

  it('rejects a retention CloudWatch Logs does not offer', () => {
    assert.throws(() => configFrom({ logRetentionDays: 31 }), /context "logRetentionDays"/);
  });

  it('rejects a reserved concurrency below one or not a number', () => {
    assert.throws(() => configFrom({ gatewayReservedConcurrency: 0 }), /gatewayReservedConcurrency/);
    assert.throws(() => configFrom({ gatewayReservedConcurrency: 'lots' }), /gatewayReservedConcurrency/);
  });

  it('rejects a tunable the gateway would reject at cold start', () => {
    assert.throws(() => configFrom({ leaseSeconds: -1 }), /QG_LEASE_SECONDS/);
    assert.throws(() => configFrom({ userWaitSeconds: 'soon' }), /QG_USER_WAIT_SECONDS/);
  });

  it('rejects a context value that is an object', () => {
    assert.throws(() => configFrom({ leaseSeconds: { value: 60 } }), /context "leaseSeconds"/);
  });
});
