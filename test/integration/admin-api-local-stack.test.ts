import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type LocalStack, startLocalStack } from '#local/local-stack.ts';

describe('local stack with the admin API', () => {
  let stack: LocalStack;
  before(async () => {
    stack = await startLocalStack({ port: 0, dataDir: null, logLevel: 'SILENT', admin: { port: 0 } });
  });
  after(async () => {
    await stack.close();
  });

  it('serves the admin API on its own port with a generated token, on the stack tables', async () => {
    // Prepare
    const admin = stack.admin;
    assert.ok(admin);
    assert.equal(admin.generatedToken, process.env.QG_ADMIN_TOKEN === undefined);
    assert.ok(admin.token.length >= 32);
    const headers = { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' };

    // Act
    const created = await fetch(`${admin.url}/admin/v1/groups`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ id: 'local', name: 'Local' }),
    });
    const refused = await fetch(`${admin.url}/admin/v1/groups`);
    const gateway = await fetch(`${stack.url}/health`);

    // Assess
    assert.equal(created.status, 201);
    assert.equal((await stack.deps.directory.getGroup('local'))?.name, 'Local');
    assert.equal(refused.status, 401);
    assert.equal(gateway.status, 200);
    assert.notEqual(new URL(admin.url).port, new URL(stack.url).port);
  });
});
