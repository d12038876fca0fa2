import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../cli/command.ts';
import { resolveTarget } from '../../cli/target.ts';

describe('where the admin CLI connects', () => {
  it('defaults to the local stack on 127.0.0.1:8788 with the local tables', () => {
    assert.deepEqual(resolveTarget({}, {}), {
      endpoint: 'http://127.0.0.1:8788',
      region: 'local',
      tables: {
        config: 'quotagate-local-config',
        state: 'quotagate-local-state',
        usage: 'quotagate-local-usage',
      },
    });
  });

  it('moves the local port with QG_DYNALITE_PORT and the whole endpoint with DYNAMODB_ENDPOINT', () => {
    assert.equal(resolveTarget({}, { QG_DYNALITE_PORT: '9999' }).endpoint, 'http://127.0.0.1:9999');
    assert.equal(
      resolveTarget({}, { QG_DYNALITE_PORT: '9999', DYNAMODB_ENDPOINT: 'http://db:8000' }).endpoint,
      'http://db:8000',
    );
    assert.equal(
      resolveTarget({ endpoint: 'http://flag:1' }, { DYNAMODB_ENDPOINT: 'http://db:8000' }).endpoint,
      'http://flag:1',
    );
  });

  it('targets AWS with --region and --stage, using the stage table names', () => {
    assert.deepEqual(resolveTarget({ region: 'eu-west-1', stage: 'prod' }, {}), {
      endpoint: undefined,
      region: 'eu-west-1',
      tables: {
        config: 'quotagate-prod-config',
        state: 'quotagate-prod-state',
        usage: 'quotagate-prod-usage',
      },
      // Credentials the CLI writes to AWS are sealed with the stage's KMS key, by its alias.
      secretsKeyId: 'alias/quotagate-prod-secrets',
    });
  });

  it('targets AWS with explicit table names from flags or environment', () => {
    const target = resolveTarget(
      { 'state-table': 'flag-state' },
      { AWS_REGION: 'us-east-1', QG_CONFIG_TABLE: 'env-config' },
    );
    assert.equal(target.endpoint, undefined);
    assert.equal(target.region, 'us-east-1');
    assert.deepEqual(target.tables, {
      config: 'env-config',
      state: 'flag-state',
      usage: 'quotagate-local-usage',
    });
  });

  it('stays local when AWS_REGION is merely set in the shell', () => {
    assert.equal(resolveTarget({}, { AWS_REGION: 'eu-west-1' }).endpoint, 'http://127.0.0.1:8788');
  });

  it('refuses --region without a stage or table names, and a port that is not a number', () => {
    assert.throws(() => resolveTarget({ region: 'eu-west-1' }, {}), UsageError);
    assert.throws(
      () => resolveTarget({}, { QG_DYNALITE_PORT: 'eighty' }),
      /QG_DYNALITE_PORT must be a port number/,
    );
  });
});
