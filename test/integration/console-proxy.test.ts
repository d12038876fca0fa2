/**
 * `quotagate console` for a deployed stack: it serves the console on 127.0.0.1, forwards API
 * calls only with the token it printed, and signs each one with SigV4 for the `lambda` service
 * using the admin's AWS credentials. A stand-in for the admin Function URL records what arrives.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runConsole, startConsole } from '../../cli/commands/console.ts';
import { eventually } from '../support/gateway-calls.ts';
import { runCliCaptured } from './cli-harness.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDCONSOLETEST0001',
  AWS_SECRET_ACCESS_KEY: 'console-test-secret-key-0000000000000000',
};

describe('quotagate console (deployed stack)', { timeout: 60_000 }, () => {
  const seen: Seen[] = [];
  const fakeAdmin = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
    response.writeHead(201, {
      'content-type': 'application/json',
      'x-request-id': 'req-from-admin',
      'x-secret-internal': 'no',
    });
    response.end(JSON.stringify({ ok: true }));
  });
  let adminUrl = '';
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    fakeAdmin.listen(0, '127.0.0.1');
    await once(fakeAdmin, 'listening');
    adminUrl = `http://127.0.0.1:${(fakeAdmin.address() as AddressInfo).port}`;
    for (const [name, value] of Object.entries(CREDENTIALS)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  after(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    fakeAdmin.close();
  });

  it('forwards a call with its token, SigV4-signed with the admin credentials, and nothing without it', async () => {
    const { proxy } = await startConsole({ api: adminUrl, port: '0', region: 'eu-west-1' }, {});
    try {
      const page = await fetch(`${proxy.url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /console\/main\.js/);

      const anonymous = await fetch(`${proxy.url}/admin/v1/users`);
      assert.equal(anonymous.status, 401);
      assert.equal(seen.length, 0);

      const response = await fetch(`${proxy.url}/admin/v1/users/usr_1/balance?x=1`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${proxy.token}`,
          'content-type': 'application/json',
          'idempotency-key': 'top-up-1',
          cookie: 'not=forwarded',
        },
        body: JSON.stringify({ amountUsd: '5' }),
      });
      assert.equal(response.status, 201);
      assert.deepEqual(await response.json(), { ok: true });
      assert.equal(response.headers.get('x-request-id'), 'req-from-admin');
      assert.equal(response.headers.get('x-secret-internal'), null);

      assert.equal(seen.length, 1);
      const call = seen[0] as Seen;
      assert.equal(call.method, 'POST');
      assert.equal(call.url, '/admin/v1/users/usr_1/balance?x=1');
      assert.equal(call.body, '{"amountUsd":"5"}');
      assert.equal(call.headers['idempotency-key'], 'top-up-1');
      assert.equal(call.headers.cookie, undefined);
      assert.match(
        call.headers.authorization ?? '',
        /^AWS4-HMAC-SHA256 Credential=AKIDCONSOLETEST0001\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[\w;-]*idempotency-key[\w;-]*, Signature=[0-9a-f]{64}$/,
      );
      assert.ok(
        !JSON.stringify(call.headers).includes(proxy.token),
        'the console token never leaves the machine',
      );
    } finally {
      await proxy.close();
    }
  });

  it('prints where to open it and its token, and stops when asked', async () => {
    let output = '';
    let stop: () => void = () => {};
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = runConsole(['--api', adminUrl, '--port', '0', '--region', 'eu-west-1', '--json'], {
      stdout: { write: (text: string) => (output += text) },
      env: {},
      stopped,
    });
    await eventually(() => output !== '');
    const started = JSON.parse(output) as { url: string; token: string; adminUrl: string };
    assert.equal(started.adminUrl, adminUrl);
    assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(started.token.length >= 24);
    assert.equal((await fetch(started.url)).status, 200);
    stop();
    assert.equal(await running, 0);
    await assert.rejects(fetch(started.url));
  });

  it('refuses to start without a stage and region or an admin URL, and shows its help', async () => {
    const missing = await runCliCaptured(['console'], {});
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs --stage and --region \(or --api <admin URL>\)/);
    const badPort = await runCliCaptured(['console', '--api', adminUrl, '--port', 'eighty'], {});
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--port must be a port number/);
    const help = await runCliCaptured(['console', '--help'], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^quotagate console: Serve the web console/);
    assert.match(help.stdout, /quotagate console --stage prod --region eu-west-1/);
  });
});
