import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RUNTIME_DEFAULTS, RUNTIME_VARIABLES } from '#shared/settings.ts';
import { synthTestStack } from './support/synth-quotagate.ts';

interface FunctionResource {
  Type: string;
  Properties: { Environment?: { Variables?: Record<string, unknown> } };
}

/** Every tunable set in context, with a value its parser accepts, plus the optional record TTL. */
const EVERY_TUNABLE: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(RUNTIME_DEFAULTS).map(([key, value]) => [
      key,
      key === 'oauthTokenUrl' ? 'https://auth.example.test/token' : String(value),
    ]),
  ),
  usageRecordTtlDays: '400',
};

describe('runtime variables: the stack sets only what the code reads', () => {
  let setByFunction: Map<string, string[]>;
  before(() => {
    const resources = synthTestStack(EVERY_TUNABLE).template.toJSON().Resources as Record<
      string,
      FunctionResource
    >;
    setByFunction = new Map();
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const names = Object.keys(resource.Properties.Environment?.Variables ?? {});
      setByFunction.set(
        id,
        names.filter((name) => name.startsWith('QG_')),
      );
    }
  });

  it('sets no QG_ variable on any function that RUNTIME_VARIABLES does not list', () => {
    // Act
    const unknown = [...setByFunction].flatMap(([id, names]) =>
      names.filter((name) => !Object.hasOwn(RUNTIME_VARIABLES, name)).map((name) => `${id}: ${name}`),
    );

    // Assess
    assert.equal(setByFunction.size, 5);
    assert.deepEqual(unknown, []);
  });

  it('lets the context reach every listed variable on some function', () => {
    // Act
    const set = new Set([...setByFunction.values()].flat());
    const neverSet = Object.keys(RUNTIME_VARIABLES).filter((name) => !set.has(name));

    // Assess
    assert.deepEqual(neverSet, []);
  });

  it('hands each tunable to the gateway under the variable the map names for it', () => {
    // Act
    const gateway = [...setByFunction].find(([id]) => id.startsWith('Gateway'))?.[1] ?? [];
    const tunables = Object.entries(RUNTIME_VARIABLES).flatMap(([name, variable]) =>
      'setting' in variable ? [name] : [],
    );

    // Assess
    assert.deepEqual(
      tunables.filter((name) => !gateway.includes(name)),
      [],
    );
  });
});
