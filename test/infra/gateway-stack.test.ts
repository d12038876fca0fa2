import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import {
  logicalIdByPath,
  resourcesOfType,
  synthForSuite,
  synthTestStack,
  TEST_STAGE,
} from './support/synth-quotagate.ts';

describe('QuotagateStack: the gateway function and logging', () => {
  const synth = synthForSuite();

  describe('gateway function', () => {
    it('runs Node.js 24 on ARM with the measured memory and the 15-minute streaming timeout', () => {
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('gateway'),
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 160,
        Timeout: 900,
        ReservedConcurrentExecutions: Match.absent(),
      });
    });

    it('is reached through a streaming Function URL that leaves authentication to the gateway', () => {
      const gatewayId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'Gateway/Function/Resource');
      synth.template.hasResourceProperties('AWS::Lambda::Url', {
        TargetFunctionArn: { 'Fn::GetAtt': [gatewayId, 'Arn'] },
        AuthType: 'NONE',
        InvokeMode: 'RESPONSE_STREAM',
      });
      // A public Function URL needs both permissions; CDK adds them.
      synth.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionUrlAuthType: 'NONE',
        Principal: '*',
      });
      synth.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        InvokedViaFunctionUrl: true,
        Principal: '*',
      });
    });

    it('gets its tables, bus, tunables and Powertools settings from the environment', () => {
      const tableRef = (suffix: string) => ({
        Ref: logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', `Tables/${suffix}/Resource`),
      });
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('gateway'),
        Environment: {
          Variables: Match.objectEquals({
            QG_STAGE: TEST_STAGE,
            QG_CONFIG_TABLE: tableRef('Config'),
            QG_STATE_TABLE: tableRef('State'),
            QG_USAGE_TABLE: tableRef('Usage'),
            QG_EVENT_BUS_NAME: {
              Ref: logicalIdByPath(synth.template, 'AWS::Events::EventBus', 'Usage/Bus/Resource'),
            },
            QG_LEASE_SECONDS: '45',
            QG_BODY_LIMIT_BYTES: Match.anyValue(),
            QG_USER_WAIT_SECONDS: Match.anyValue(),
            QG_ACCOUNT_WAIT_SECONDS: Match.anyValue(),
            QG_ACCOUNT_MAX_WAITING: Match.anyValue(),
            QG_STICKY_WAIT_SECONDS: Match.anyValue(),
            QG_STICKY_MAX_WAITING: Match.anyValue(),
            QG_PING_INTERVAL_SECONDS: Match.anyValue(),
            QG_FIRST_BYTE_TIMEOUT_MS: Match.anyValue(),
            QG_IDLE_TIMEOUT_MS: Match.anyValue(),
            QG_RATE_LIMIT_COOLDOWN_SECONDS: Match.anyValue(),
            QG_OVERLOAD_COOLDOWN_SECONDS: Match.anyValue(),
            QG_ACCOUNT_ERROR_RECHECK_SECONDS: Match.anyValue(),
            QG_CONFIG_CACHE_SECONDS: Match.anyValue(),
            QG_CHATGPT_BASE_URL: Match.anyValue(),
            QG_OAUTH_TOKEN_URL: Match.anyValue(),
            QG_OAUTH_CLIENT_ID: Match.anyValue(),
            QG_OAUTH_REFRESH_BEFORE_SECONDS: Match.anyValue(),
            QG_OAUTH_MAX_FAILURES: Match.anyValue(),
            QG_OAUTH_TIMEOUT_MS: Match.anyValue(),
            QG_SECRETS_KEY_ID: {
              'Fn::GetAtt': [logicalIdByPath(synth.template, 'AWS::KMS::Key', 'Secrets/Key/Resource'), 'Arn'],
            },
            POWERTOOLS_SERVICE_NAME: 'gateway',
            POWERTOOLS_METRICS_NAMESPACE: 'Quotagate',
            POWERTOOLS_LOG_LEVEL: 'INFO',
            NODE_OPTIONS: '--max-semi-space-size=8 --max-old-space-size=64',
            MALLOC_MMAP_THRESHOLD_: '131072',
          }),
        },
      });
    });

    it("has V8 apply the heap sizes of its NODE_OPTIONS on the project's Node 24", () => {
      // Prepare: exactly what the stack sets, read from the template, in the environment as Lambda
      // passes it (Node refuses a flag missing from its NODE_OPTIONS allow-list, or misspelt).
      const gatewayId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'Gateway/Function/Resource');
      const variables = resourcesOfType(synth.template, 'AWS::Lambda::Function')[gatewayId]?.Properties
        .Environment as { Variables: Record<string, unknown> };
      const nodeOptions = String(variables.Variables.NODE_OPTIONS);
      const heapOf = (options: string) =>
        spawnSync(
          process.execPath,
          [
            '-p',
            "JSON.stringify([process.versions.node, require('v8').getHeapStatistics().heap_size_limit])",
          ],
          { env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: options }, encoding: 'utf8', timeout: 30_000 },
        );

      // Act
      const run = heapOf(nodeOptions);
      const misspelt = heapOf(nodeOptions.replace('semi-space', 'semi-spaces'));

      // Assess: V8's heap limit is old space plus a young generation of three semi-spaces, so
      // 64 MiB + 3 × 8 MiB; a flag V8 ignored or Node refused would show here.
      assert.equal(run.status, 0, run.stderr);
      const [node, limit] = JSON.parse(run.stdout) as [string, number];
      assert.match(node, /^24\./);
      assert.equal(limit, (64 + 3 * 8) * 2 ** 20);
      assert.notEqual(misspelt.status, 0);
      assert.match(misspelt.stderr, /is not allowed in NODE_OPTIONS/);
    });

    it('reserves concurrency only when the context asks for it', () => {
      // Act
      const reserved = synthTestStack({ gatewayReservedConcurrency: 25 });

      // Assess
      reserved.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('gateway'),
        ReservedConcurrentExecutions: 25,
      });
    });
  });

  describe('logging', () => {
    it('gives each function its own log group with the configured retention, JSON logs at the configured level', () => {
      for (const path of ['Gateway/Function', 'Usage/Recorder']) {
        const logGroupId = logicalIdByPath(synth.template, 'AWS::Logs::LogGroup', `${path}Logs/Resource`);
        synth.template.hasResource('AWS::Logs::LogGroup', {
          Properties: { RetentionInDays: 14 },
          Metadata: Match.objectLike({ 'aws:cdk:path': Match.stringLikeRegexp(`${path}Logs/Resource$`) }),
        });
        const functionId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', `${path}/Resource`);
        const fn = resourcesOfType(synth.template, 'AWS::Lambda::Function')[functionId];
        assert.deepEqual(fn?.Properties.LoggingConfig, {
          LogGroup: { Ref: logGroupId },
          LogFormat: 'JSON',
          ApplicationLogLevel: 'INFO',
          SystemLogLevel: 'WARN',
        });
      }
    });
  });
});
