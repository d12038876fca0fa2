import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { logicalIdByPath, resourcesOfType, synthForSuite } from './support/synth-quotagate.ts';

type Statement = { Action: string | string[]; Resource: unknown };

/** The KMS actions a function's role may take, each with the resource it names. */
function kmsGrants(template: Template, rolePath: string): { actions: string[]; resource: unknown }[] {
  const roleId = logicalIdByPath(template, 'AWS::IAM::Role', `${rolePath}/Resource`);
  const grants: { actions: string[]; resource: unknown }[] = [];
  for (const policy of Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))) {
    const roles = policy.Properties.Roles as { Ref: string }[];
    if (!roles.some((role) => role.Ref === roleId)) continue;
    for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
      const actions = [statement.Action].flat().filter((action) => action.startsWith('kms:'));
      if (actions.length > 0) grants.push({ actions: actions.sort(), resource: statement.Resource });
    }
  }
  return grants;
}

function environmentOf(template: Template, functionPath: string): Record<string, unknown> {
  const id = logicalIdByPath(template, 'AWS::Lambda::Function', `${functionPath}/Resource`);
  const fn = resourcesOfType(template, 'AWS::Lambda::Function')[id];
  return (fn?.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
}

describe('QuotagateStack: the key that seals upstream credentials', () => {
  const synth = synthForSuite();
  let keyArn: unknown;
  before(() => {
    keyArn = {
      'Fn::GetAtt': [logicalIdByPath(synth.template, 'AWS::KMS::Key', 'Secrets/Key/Resource'), 'Arn'],
    };
  });

  it('is a customer-managed key with yearly rotation, kept when the stack goes, named by the stage alias', () => {
    synth.template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    synth.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/quotagate-test-secrets' });
  });

  it('lets the gateway and the token refresher decrypt and seal, the admin API only seal, the recorder nothing', () => {
    assert.deepEqual(kmsGrants(synth.template, 'Gateway/FunctionRole'), [
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resource: keyArn },
    ]);
    assert.deepEqual(kmsGrants(synth.template, 'TokenRefresh/FunctionRole'), [
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resource: keyArn },
    ]);
    assert.deepEqual(kmsGrants(synth.template, 'AdminApi/FunctionRole'), [
      { actions: ['kms:GenerateDataKey'], resource: keyArn },
    ]);
    assert.deepEqual(kmsGrants(synth.template, 'Usage/RecorderRole'), []);
  });

  it('tells exactly the granted functions which key to use', () => {
    for (const path of ['Gateway/Function', 'TokenRefresh/Function', 'AdminApi/Function'])
      assert.deepEqual(environmentOf(synth.template, path).QG_SECRETS_KEY_ID, keyArn, path);
    assert.equal(environmentOf(synth.template, 'Usage/Recorder').QG_SECRETS_KEY_ID, undefined);
  });
});
