import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { AdminError } from '#shared/admin/admin-error.ts';
import type { User } from '#shared/domain/types.ts';
import { configItems } from '#shared/store/dynamo/config-items.ts';
import { createTargetClient } from '../../cli/target.ts';
import { cliWorldForSuite } from './cli-harness.ts';

function user(id: string): User {
  return {
    id,
    email: `${id}@example.com`,
    status: 'active',
    concurrency: 5,
    balanceNano: 0,
    createdAt: new Date().toISOString(),
  };
}

async function rejection(promise: Promise<unknown>): Promise<AdminError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  assert.ok(error instanceof AdminError, `expected an AdminError, got ${String(error)}`);
  return error;
}

describe('DynamoConfigAdmin conditional writes', () => {
  const world = cliWorldForSuite();

  it('refuses to insert over an existing item and leaves it untouched', async () => {
    // Prepare
    await world.store.insert('user', user('usr_taken'));
    const before = await world.snapshot();

    // Act
    const error = await rejection(
      world.store.insert('user', { ...user('usr_taken'), email: 'other@example.com' }),
    );

    // Assess
    assert.equal(error.kind, 'conflict');
    assert.equal(error.message, 'User usr_taken already exists.');
    assert.equal(await world.snapshot(), before);
  });

  it('reports an update of a missing item as not found without creating it', async () => {
    // Prepare
    const before = await world.snapshot();

    // Act
    const error = await rejection(world.store.update('account', 'acc_ghost', { priority: 1 }));

    // Assess
    assert.equal(error.kind, 'not_found');
    assert.equal(error.message, 'Account acc_ghost does not exist.');
    assert.equal(await world.snapshot(), before);
  });

  it('counts an item no admin wrote as version 0, then pins updates to the version read', async () => {
    // Prepare: written the way other code writes config items, without revision fields
    const client = createTargetClient({ endpoint: world.db.endpoint, region: 'local', tables: world.tables });
    await client.send(
      new PutCommand({ TableName: world.tables.config, Item: configItems.user(user('usr_foreign')) }),
    );
    client.destroy();

    // Act
    const first = await world.store.update('user', 'usr_foreign', { concurrency: 2 }, { ifVersion: 0 });
    const stale = await rejection(
      world.store.update('user', 'usr_foreign', { concurrency: 3 }, { ifVersion: 0 }),
    );
    const second = await world.store.update('user', 'usr_foreign', { concurrency: 4 }, { ifVersion: 1 });

    // Assess
    assert.deepEqual([first.version, first.concurrency], [1, 2]);
    assert.equal(stale.kind, 'conflict');
    assert.deepEqual([second.version, second.concurrency], [2, 4]);
  });

  it('changes only the named fields, keeps the rest, and removes a field given as undefined', async () => {
    // Prepare
    await world.store.insert('apiKey', {
      id: 'key_fields',
      hash: 'f'.repeat(64),
      prefix: 'sk-qg-ffffff',
      userId: 'usr_taken',
      groupId: 'default',
      name: 'fields',
      status: 'active',
      createdAt: new Date().toISOString(),
      expiresAt: '2099-01-01T00:00:00.000Z',
      usedNano: 123,
    });
    const ref = { hash: 'f'.repeat(64), id: 'key_fields' };

    // Act
    const updated = await world.store.update('apiKey', ref, { name: 'renamed', expiresAt: undefined });

    // Assess
    assert.equal(updated.name, 'renamed');
    assert.equal(updated.usedNano, 123);
    assert.equal('expiresAt' in updated, false);
    assert.equal((await world.store.findApiKeyById('key_fields'))?.name, 'renamed');
  });

  it('adds to a balance atomically: concurrent top-ups all count', async () => {
    // Prepare
    await world.store.insert('user', user('usr_topup'));

    // Act
    await Promise.all(Array.from({ length: 10 }, () => world.store.addToBalance('usr_topup', 100_000_000)));

    // Assess
    assert.equal((await world.store.get('user', 'usr_topup'))?.balanceNano, 1_000_000_000);
  });

  it('refuses a top-up of a user that does not exist without creating one', async () => {
    // Act
    const error = await rejection(world.store.addToBalance('usr_nobody', 1));

    // Assess
    assert.equal(error.kind, 'not_found');
    assert.equal(await world.store.get('user', 'usr_nobody'), undefined);
  });
});
