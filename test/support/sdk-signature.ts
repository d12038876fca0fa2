/**
 * The Authorization header the AWS SDK's own signer (`@smithy/signature-v4`) gives a JSON
 * `POST /`, for checking the gateway's signer against it: the request's headers as sent (any
 * case), at the time its `X-Amz-Date` says, with the headers its own Authorization lists as
 * signed (the date and token are the signer's to add).
 *
 * @example
 * ```ts
 * const seen = front.requests[0]; // headers and body as a local server received them
 * assert.equal(seen.headers.authorization, await sdkAuthorizationOf(seen, { service: 'dynamodb', region, credentials }));
 * ```
 */
import assert from 'node:assert/strict';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from '#shared/aws/aws-json-client.ts';
import { NodeSha256 } from '../../cli/admin-api-client.ts';

/** Headers the signer derives itself, so they are not given to it. */
const DERIVED = new Set(['authorization', 'x-amz-date', 'x-amz-security-token']);

export async function sdkAuthorizationOf(
  request: { headers: Record<string, string | string[] | undefined>; body: string },
  options: { service: string; region: string; credentials: AwsCredentials },
): Promise<string | undefined> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = String(value);
  }
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(headers.authorization ?? '')?.[1]?.split(';') ?? [];
  const amzDate = headers['x-amz-date'] ?? '';
  const signer = new SignatureV4({
    ...options,
    sha256: NodeSha256,
    // x-amz-content-sha256 is S3's header; the SDK's DynamoDB and EventBridge clients do not send it either.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: (headers.host ?? '').replace(/:\d+$/, ''),
      path: '/',
      query: {},
      headers: Object.fromEntries(
        Object.entries(headers).filter(([name]) => signedHeaders.includes(name) && !DERIVED.has(name)),
      ),
      body: request.body,
    },
    {
      signingDate: new Date(
        amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
      ),
      signableHeaders: new Set(signedHeaders),
    },
  );
  return signed.headers.authorization;
}

/** A Lambda function's environment as the runtime sets it: its role's temporary credentials. */
export function lambdaEnvironment(endpointVariable: string, url: string): NodeJS.ProcessEnv {
  return {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDLAMBDAROLE',
    AWS_SECRET_ACCESS_KEY: 'lambda-role-secret',
    AWS_SESSION_TOKEN: 'lambda-role-session',
    [endpointVariable]: url,
  };
}

/** The request was signed for `service` with {@link lambdaEnvironment}'s credentials and token. */
export function assertSignedByLambdaRole(
  headers: Record<string, string | string[] | undefined> | undefined,
  service: string,
): void {
  assert.match(
    String(headers?.authorization),
    new RegExp(`Credential=AKIDLAMBDAROLE/\\d{8}/eu-west-1/${service}/`),
  );
  assert.equal(headers?.['x-amz-security-token'], 'lambda-role-session');
}
