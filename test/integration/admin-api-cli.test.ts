import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import { createOpsRecorder } from '#shared/ops/create-ops-recorder.ts';
import { NodeSha256 } from '../../cli/admin-api-client.ts';
import { ADMIN_TOKEN, type AdminWorld, startAdminWorld } from './admin-api-harness.ts';
import { type CliRun, runCliCaptured } from './cli-harness.ts';

describe('quotagate CLI over the admin API (--api)', () => {
  let world: AdminWorld;
  let direct: (...args: string[]) => Promise<CliRun>;
  let viaApi: (...args: string[]) => Promise<CliRun>;

  before(async () => {
    world = await startAdminWorld();
    const run =
      (env: Record<string, string>) =>
      (...args: string[]) =>
        runCliCaptured(args, env);
    direct = run({ DYNAMODB_ENDPOINT: world.db.endpoint });
    viaApi = run({ QG_ADMIN_API_URL: world.server.url, QG_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  after(async () => {
    await world.close();
  });

  it('sets and clears custom error codes through the API as on the tables', async () => {
    // Act
    const created = await viaApi(
      'accounts',
      'create',
      '--type',
      'apikey',
      '--name',
      'codes',
      '--api-key',
      'sk-codes-0123456789',
      '--error-codes',
      '402,401',
      '--json',
    );
    const id = JSON.parse(created.stdout).id as string;
    const cleared = await viaApi('accounts', 'set', id, '--clear-error-codes', '--json');
    const shown = await direct('accounts', 'show', id, '--json');

    // Assess
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(JSON.parse(created.stdout).customErrorCodes, [401, 402]);
    assert.deepEqual(JSON.parse(cleared.stdout).customErrorCodes, []);
    assert.deepEqual(JSON.parse(shown.stdout).customErrorCodes, []);
  });

  it('prints the same JSON through the API as on the tables', async () => {
    // Act
    const created = await viaApi('users', 'create', '--email', 'cli@example.com', '--balance', '2', '--json');
    const fromApi = await viaApi('users', 'list', '--json');
    const fromTables = await direct('users', 'list', '--json');

    // Assess
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).balanceNano, 2_000_000_000);
    assert.deepEqual(JSON.parse(fromApi.stdout), JSON.parse(fromTables.stdout));
  });

  it('shows a new key once, with the note to copy it, in text mode as on the tables', async () => {
    // Prepare
    const [user] = JSON.parse((await direct('users', 'list', '--json')).stdout) as { id: string }[];

    // Act
    const result = await viaApi('keys', 'create', '--user', user?.id ?? '', '--name', 'ci');

    // Assess
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^Created API key key_\w+ for user usr_\w+ in group default\.\n\n {2}sk-qg-\S+\n/,
    );
    assert.match(result.stdout, /only time it is shown/);
  });

  it('refuses bad input with the same sentence and exit code 2 in both modes', async () => {
    const api = await viaApi('users', 'create', '--email', 'not-an-email');
    const tables = await direct('users', 'create', '--email', 'not-an-email');
    assert.equal(api.code, 2);
    assert.equal(api.stderr, tables.stderr);
  });

  it('reports a stale --if-version as a conflict (exit 1)', async () => {
    // Prepare
    const [user] = JSON.parse((await direct('users', 'list', '--json')).stdout) as {
      id: string;
      version: number;
    }[];
    await viaApi('users', 'set', user?.id ?? '', '--concurrency', '3', '--if-version', String(user?.version));

    // Act
    const stale = await viaApi(
      'users',
      'set',
      user?.id ?? '',
      '--concurrency',
      '4',
      '--if-version',
      String(user?.version),
    );

    // Assess
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /was changed by someone else/);
  });

  it('sends the flags of groups, accounts and subscriptions as the table mode reads them', async () => {
    // Prepare
    const [user] = JSON.parse((await direct('users', 'list', '--json')).stdout) as { id: string }[];
    const json = async (...args: string[]) => {
      const result = await viaApi(...args, '--json');
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout);
    };

    // Act
    const group = await json(
      'groups',
      'create',
      '--id',
      'api-sub',
      '--name',
      'Sub',
      '--billing',
      'subscription',
    );
    const account = await json(
      'accounts',
      'create',
      '--type',
      'apikey',
      '--name',
      'mapped',
      '--api-key',
      'sk-mapped-0123456789',
      '--groups',
      'api-sub',
      '--map',
      'gpt-5=gpt-5.1-codex',
    );
    const fromJson = await json(
      'accounts',
      'set',
      account.id,
      '--map-json',
      '{"o3":"o3-pro"}',
      '--priority',
      '7',
    );
    const cleared = await json('accounts', 'set', account.id, '--clear-map');
    const mixed = [
      await viaApi('accounts', 'set', account.id, '--map', 'a=b', '--clear-map'),
      await direct('accounts', 'set', account.id, '--map', 'a=b', '--clear-map'),
    ];
    const subscription = await json(
      'subscriptions',
      'assign',
      '--user',
      user?.id ?? '',
      '--group',
      'api-sub',
      '--until',
      '2099-01-01',
    );

    // Assess
    assert.deepEqual([group.id, group.billingMode], ['api-sub', 'subscription']);
    assert.deepEqual([account.groupIds, account.modelMapping], [['api-sub'], { 'gpt-5': 'gpt-5.1-codex' }]);
    assert.deepEqual([fromJson.modelMapping, fromJson.priority], [{ o3: 'o3-pro' }, 7]);
    assert.deepEqual(cleared.modelMapping, {});
    assert.deepEqual(
      mixed.map((result) => result.code),
      [2, 2],
    );
    assert.equal(mixed[0]?.stderr, mixed[1]?.stderr);
    assert.deepEqual([subscription.userId, subscription.groupId], [user?.id, 'api-sub']);
  });

  it('scrubs the admin token from errors and says when it is refused', async () => {
    const result = await viaApi('users', 'list', '--admin-token', 'wrong-token-value-123');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /refused the credentials \(401\)/);
    assert.ok(!result.stderr.includes('wrong-token-value-123'));
  });

  it('says plainly when the admin API cannot be reached', async () => {
    const result = await viaApi('users', 'list', '--api', 'http://127.0.0.1:1');
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /Cannot reach the admin API at http:\/\/127\.0\.0\.1:1 — is `npm start` running\?/,
    );
  });

  it('refuses --api together with table flags', async () => {
    const result = await viaApi('users', 'list', '--api', world.server.url, '--stage', 'prod');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cannot be combined with --stage/);
  });

  it('reads ops errors, usage and account health alike on the tables and through the API', async () => {
    // Prepare
    const account = JSON.parse(
      (
        await direct(
          'accounts',
          'create',
          '--type',
          'apikey',
          '--name',
          'ops',
          '--api-key',
          'sk-ops-0123456789',
          '--json',
        )
      ).stdout,
    ) as { id: string };
    await createOpsRecorder({
      client: world.client,
      tables: world.tables,
      logger: { error: () => {} },
    }).recordError({
      requestId: 'req_cli1',
      at: Date.now() - 1000,
      route: '/v1/responses',
      method: 'POST',
      status: 503,
      errorType: 'upstream_error',
      message: 'Upstream service overloaded, please retry later',
      accountId: account.id,
      latencyMs: 12,
    });

    for (const args of [
      ['ops', 'errors', '--status', '5xx'],
      ['ops', 'usage', '--by', 'account', '--id', account.id],
      ['ops', 'health', account.id],
    ]) {
      // Act
      const [onTables, throughApi] = [await direct(...args, '--json'), await viaApi(...args, '--json')];
      const text = await viaApi(...args);

      // Assess
      assert.equal(onTables.code, 0, onTables.stderr);
      assert.deepEqual(JSON.parse(throughApi.stdout), JSON.parse(onTables.stdout), args.join(' '));
      assert.equal(text.code, 0, text.stderr);
    }
    const errors = await viaApi('ops', 'errors');
    assert.match(errors.stdout, /503\s+upstream_error\s+POST \/v1\/responses/);
    assert.match((await viaApi('ops', 'health', account.id)).stdout, /In flight:\s+0 of 10/);
  });

  describe('against the deployed API (no token): SigV4', () => {
    it('signs with the NodeSha256 the signer is given, matching the AWS get-vanilla test vector', async () => {
      // Prepare
      const signer = new SignatureV4({
        service: 'service',
        region: 'us-east-1',
        credentials: {
          accessKeyId: 'AKIDEXAMPLE',
          secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        },
        sha256: NodeSha256,
        applyChecksum: false,
      });

      // Act
      const signed = await signer.sign(
        {
          method: 'GET',
          protocol: 'https:',
          hostname: 'example.amazonaws.com',
          path: '/',
          query: {},
          headers: { host: 'example.amazonaws.com' },
        },
        { signingDate: new Date('2015-08-30T12:36:00Z') },
      );

      // Assess
      assert.equal(
        signed.headers.authorization,
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
          'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
      );
    });

    it('sends requests signed for the lambda service in the given region, with AWS credentials from the environment', async () => {
      // Prepare: a server standing in for the Function URL, and credentials in the environment
      let seen: IncomingHttpHeaders | undefined;
      const server = createServer((request, response) => {
        seen = request.headers;
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
      process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTSIGNING';
      process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-key';
      try {
        // Act
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const result = await direct('users', 'list', '--api', url, '--region', 'eu-west-1');

        // Assess
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout.trim(), '(none)');
        assert.match(
          String(seen?.authorization),
          /^AWS4-HMAC-SHA256 Credential=AKIDTESTSIGNING\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
        );
        assert.match(String(seen?.['x-amz-date']), /^\d{8}T\d{6}Z$/);
      } finally {
        process.env.AWS_ACCESS_KEY_ID = saved.id;
        process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
        if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
        if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
        server.close();
      }
    });
  });
});
