/**
 * The project's own KMS client (shared/secrets/kms-client.ts) under the sealer, against a local
 * server speaking KMS's JSON API (`TrentService.GenerateDataKey` and `Decrypt`, data keys wrapped
 * under a master key of its own and bound to the key id): what it signs and sends, what it
 * retries, what its errors show, and where its credentials come from.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { KmsDataKeys } from '#shared/secrets/data-keys.ts';
import { createKmsClient, KmsJsonClient } from '#shared/secrets/kms-client.ts';
import { useSdkCredentialChain } from '#shared/secrets/sdk-credential-chain.ts';
import { SecretSealer } from '#shared/secrets/secret-sealer.ts';

const KEY_ID = 'alias/quotagate-test-secrets';
const ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDKMSCLIENTTEST',
  AWS_SECRET_ACCESS_KEY: 'kms-client-secret-key-0123456789',
  AWS_SESSION_TOKEN: 'kms-client-session-token-abcdef',
};

interface KmsCall {
  target: string;
  headers: IncomingHttpHeaders;
  input: Record<string, string>;
}
type Answer = { status: number; body: Record<string, unknown> };

/** KMS as far as sealing uses it; `answers` (first in, first out) replace its own answers. */
const kms = {
  master: randomBytes(32),
  calls: [] as KmsCall[],
  answers: [] as Answer[],
  url: '',
};
let server: Server;

function wrap(plaintext: Buffer, keyId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kms.master, iv);
  cipher.setAAD(Buffer.from(keyId));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function answerOf(target: string, input: Record<string, string>): Answer {
  const queued = kms.answers.shift();
  if (queued) return queued;
  if (target === 'TrentService.GenerateDataKey') {
    const plaintext = randomBytes(32);
    return {
      status: 200,
      body: {
        KeyId: input.KeyId,
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: wrap(plaintext, String(input.KeyId)),
      },
    };
  }
  const blob = Buffer.from(String(input.CiphertextBlob), 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', kms.master, blob.subarray(0, 12));
    decipher.setAAD(Buffer.from(String(input.KeyId)));
    decipher.setAuthTag(blob.subarray(12, 28));
    const plaintext = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
    return { status: 200, body: { KeyId: input.KeyId, Plaintext: plaintext.toString('base64') } };
  } catch {
    return {
      status: 400,
      body: {
        __type: 'IncorrectKeyException',
        message: 'The key ID in the request does not identify the key',
      },
    };
  }
}

before(async () => {
  server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target']);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>;
    kms.calls.push({ target, headers: request.headers, input });
    const { status, body } = answerOf(target, input);
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  kms.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());
beforeEach(() => {
  kms.calls.splice(0);
  kms.answers.splice(0);
});

const sealerWith = (env: NodeJS.ProcessEnv) =>
  new SecretSealer(new KmsDataKeys(KEY_ID, () => createKmsClient({ ...env, AWS_ENDPOINT_URL_KMS: kms.url })));

describe('the KMS client under the sealer', { timeout: 30_000 }, () => {
  it("seals and opens through KMS's JSON API, signed with the function's credentials", async () => {
    // Act: one instance seals, a new one (no data key remembered) opens.
    const sealed = await sealerWith(ENV).seal('sk-upstream-0001', 'account:acc_1:apiKey');
    const opened = await sealerWith(ENV).open(sealed, 'account:acc_1:apiKey');

    // Assess
    assert.equal(opened, 'sk-upstream-0001');
    assert.deepEqual(
      kms.calls.map((call) => call.target),
      ['TrentService.GenerateDataKey', 'TrentService.Decrypt'],
    );
    const [generate, decrypt] = kms.calls;
    assert.deepEqual(generate?.input, { KeyId: KEY_ID, KeySpec: 'AES_256' });
    assert.deepEqual(Object.keys(decrypt?.input ?? {}).sort(), ['CiphertextBlob', 'KeyId']);
    assert.equal(decrypt?.input.KeyId, KEY_ID);
    for (const call of kms.calls) {
      assert.equal(call.headers['content-type'], 'application/x-amz-json-1.1');
      assert.equal(call.headers['x-amz-security-token'], ENV.AWS_SESSION_TOKEN);
      assert.match(
        String(call.headers.authorization),
        /^AWS4-HMAC-SHA256 Credential=AKIDKMSCLIENTTEST\/\d{8}\/eu-west-1\/kms\/aws4_request, SignedHeaders=[^,]*x-amz-target[^,]*, Signature=[0-9a-f]{64}$/,
      );
    }
  });

  it("refuses a data key wrapped under another key, as an error named after KMS's type with no secret in it", async () => {
    // Prepare: a value sealed under one key, opened by a process pinned to another.
    const sealed = await sealerWith(ENV).seal('sk-upstream-0002', 'account:acc_2:apiKey');
    const other = new SecretSealer(
      new KmsDataKeys('alias/another-key', () => createKmsClient({ ...ENV, AWS_ENDPOINT_URL_KMS: kms.url })),
    );

    // Act
    const refused = await other.open(sealed, 'account:acc_2:apiKey').then(
      () => assert.fail('opened under the wrong key'),
      (error: unknown) => error as Error & { $metadata?: { httpStatusCode?: number } },
    );

    // Assess: not retried (a refusal, not a fault); nothing secret in what a log would print.
    assert.equal(refused.name, 'IncorrectKeyException');
    assert.equal(refused.$metadata?.httpStatusCode, 400);
    assert.equal(kms.calls.filter((call) => call.target === 'TrentService.Decrypt').length, 1);
    const printed = inspect(refused, { depth: 5 });
    for (const secret of [
      ENV.AWS_SECRET_ACCESS_KEY,
      ENV.AWS_SESSION_TOKEN,
      'sk-upstream-0002',
      sealed.split('.')[1],
    ])
      assert.ok(secret && !printed.includes(secret), `the error shows ${secret}`);
  });

  it("retries KMS's throttling and internal failures as the SDK's standard mode does", async () => {
    // Prepare: no jitter, so every backoff is 0 ms.
    const client = new KmsJsonClient({
      endpoint: kms.url,
      region: 'eu-west-1',
      credentials: async () => ({
        accessKeyId: ENV.AWS_ACCESS_KEY_ID,
        secretAccessKey: ENV.AWS_SECRET_ACCESS_KEY,
      }),
      random: () => 0,
    });
    kms.answers.push(
      { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } },
      { status: 500, body: { __type: 'KMSInternalException', message: 'try again' } },
    );

    // Act
    const key = await client.generateDataKey(KEY_ID);
    client.destroy();

    // Assess
    assert.equal(key.plaintext.length, 32);
    assert.equal(kms.calls.length, 3);
  });

  // Before the next test: it gives this process the SDK's chain, which no test can take back.
  it('refuses a call, naming what is missing, when neither the environment nor the process gives credentials', async () => {
    // Act
    const sealing = sealerWith({ AWS_REGION: 'eu-west-1' }).seal('sk-upstream-0002', 'account:acc_2:apiKey');

    // Assess: a Lambda function has its credentials in its environment; nothing else signs for it.
    await assert.rejects(sealing, /KMS needs credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    assert.equal(kms.calls.length, 0);
  });

  it("signs with the AWS SDK's credential chain (a profile) when the environment holds no credentials, as the CLI runs", async () => {
    // Prepare: a shared credentials file and a profile, in the process environment the chain reads.
    const dir = await mkdtemp(join(tmpdir(), 'quotagate-kms-'));
    const file = join(dir, 'credentials');
    await writeFile(
      file,
      '[qg-kms-test]\naws_access_key_id = AKIDFROMPROFILE\naws_secret_access_key = profile-secret-0123\n',
    );
    const names = [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_PROFILE',
      'AWS_SHARED_CREDENTIALS_FILE',
      'AWS_CONFIG_FILE',
    ];
    const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    for (const name of names) delete process.env[name];
    Object.assign(process.env, {
      AWS_PROFILE: 'qg-kms-test',
      AWS_SHARED_CREDENTIALS_FILE: file,
      AWS_CONFIG_FILE: join(dir, 'config'),
    });
    useSdkCredentialChain(); // as the CLI does (cli/target.ts)
    try {
      // Act
      await sealerWith({ AWS_REGION: 'eu-west-1' }).seal('sk-upstream-0003', 'account:acc_3:apiKey');
    } finally {
      for (const name of names) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
      await rm(dir, { recursive: true, force: true });
    }

    // Assess
    assert.match(String(kms.calls[0]?.headers.authorization), /Credential=AKIDFROMPROFILE\//);
    assert.equal(kms.calls[0]?.headers['x-amz-security-token'], undefined);
  });
});
