/**
 * The two KMS calls sealing needs (`GenerateDataKey`, `Decrypt`) without the AWS SDK's KMS client:
 * one signed JSON POST each over the transport the gateway's DynamoDB and EventBridge clients use
 * (`shared/aws/aws-json-client.ts`: aws4, keep-alive node:http, the SDK standard mode's retries,
 * errors named after KMS's type and never carrying a header, a key or a ciphertext). The SDK's KMS
 * client was about 68 KB of the gateway's bundle for these two calls, which a gateway instance
 * makes once per data key it meets.
 *
 * Credentials: a Lambda function's own from its environment (`AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), as the other JSON clients take them; elsewhere
 * (the CLI writing to AWS under a profile, SSO or a role) the credential chain the process gave
 * {@link useCredentialChain} (the CLI gives the AWS SDK's default chain: `cli/target.ts`), asked at
 * each call (it keeps them until they near their expiry). The chain is the process's to give, not
 * imported here: the SDK's chain brings smithy's core (about 200 KB) into every bundle that seals,
 * and a Lambda function, which always has its credentials in its environment, never asks it. Region `AWS_REGION`, endpoint
 * KMS's regional one or `AWS_ENDPOINT_URL_KMS`, the SDK's own override.
 *
 * @example
 * ```ts
 * const kms = createKmsClient();
 * const { plaintext, wrapped } = await kms.generateDataKey('alias/quotagate-prod-secrets');
 * (await kms.decrypt('alias/quotagate-prod-secrets', wrapped)).equals(plaintext); // true
 * ```
 */
import { type AwsCredentials, AwsJsonClient, environmentCredentials } from '../aws/aws-json-client.ts';

interface GenerateDataKeyOutput {
  Plaintext?: string;
  CiphertextBlob?: string;
}

interface DecryptOutput {
  Plaintext?: string;
}

export interface KmsClientOptions {
  /** `https://kms.<region>.amazonaws.com` on AWS. */
  endpoint: string;
  region: string;
  /** Asked before each call; a new answer (refreshed credentials) gets a new connection pool. */
  credentials: () => Promise<AwsCredentials>;
  maxAttempts?: number;
  random?: () => number;
}

export class KmsJsonClient {
  readonly #options: KmsClientOptions;
  #transport: { credentials: AwsCredentials; client: AwsJsonClient } | undefined;

  constructor(options: KmsClientOptions) {
    this.#options = options;
  }

  /** A new AES-256 data key: in the clear, for this process only, and wrapped under `keyId`. */
  async generateDataKey(keyId: string): Promise<{ plaintext: Buffer; wrapped: Buffer }> {
    const output = (await this.#send('GenerateDataKey', {
      KeyId: keyId,
      KeySpec: 'AES_256',
    })) as GenerateDataKeyOutput;
    if (!output.Plaintext || !output.CiphertextBlob) throw new Error('KMS returned no data key');
    return {
      plaintext: Buffer.from(output.Plaintext, 'base64'),
      wrapped: Buffer.from(output.CiphertextBlob, 'base64'),
    };
  }

  /** The data key `wrapped` holds; `keyId` pins the key, so one wrapped under another is refused. */
  async decrypt(keyId: string, wrapped: Buffer): Promise<Buffer> {
    const output = (await this.#send('Decrypt', {
      KeyId: keyId,
      CiphertextBlob: wrapped.toString('base64'),
    })) as DecryptOutput;
    if (!output.Plaintext) throw new Error('KMS returned no plaintext');
    return Buffer.from(output.Plaintext, 'base64');
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.#transport?.client.destroy();
  }

  async #send(operation: string, input: Record<string, string>): Promise<unknown> {
    const credentials = await this.#options.credentials();
    if (this.#transport?.credentials !== credentials) {
      this.#transport?.client.destroy();
      const { endpoint, region, maxAttempts, random } = this.#options;
      this.#transport = {
        credentials,
        client: new AwsJsonClient({
          endpoint,
          region,
          credentials,
          service: 'kms',
          serviceName: 'KMS',
          targetPrefix: 'TrentService.',
          contentType: 'application/x-amz-json-1.1',
          ...(maxAttempts === undefined ? {} : { maxAttempts }),
          ...(random ? { random } : {}),
        }),
      };
    }
    return this.#transport.client.send(operation, JSON.stringify(input));
  }
}

/** A source of credentials asked at each call, which keeps them until they near their expiry. */
export type CredentialChain = () => Promise<AwsCredentials>;

let chainLoader: (() => Promise<CredentialChain>) | undefined;

/**
 * Gives this process a credential chain for KMS calls when its environment holds no credentials,
 * loaded at the first such call. Processes that run outside Lambda against AWS (the CLI) call it
 * once before they seal.
 *
 * @example
 * ```ts
 * useCredentialChain(() => import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider()));
 * ```
 */
export function useCredentialChain(load: () => Promise<CredentialChain>): void {
  chainLoader = load;
}

/**
 * A client for this process's environment (see the module's comment): the region and any
 * credentials in the environment are read now, the chain of {@link useCredentialChain} only at a
 * call that needs it.
 */
export function createKmsClient(env: NodeJS.ProcessEnv = process.env): KmsJsonClient {
  const region = env.AWS_REGION;
  if (!region) throw new Error('KMS needs AWS_REGION (Lambda sets it; the CLI sets the target region)');
  const fromEnvironment = environmentCredentials(env);
  let chain: Promise<CredentialChain> | undefined;
  return new KmsJsonClient({
    endpoint: env.AWS_ENDPOINT_URL_KMS ?? `https://kms.${region}.amazonaws.com`,
    region,
    credentials: async () => {
      if (fromEnvironment) return fromEnvironment;
      if (!chainLoader)
        throw new Error(
          'KMS needs credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a process that gives a credential chain (the CLI)',
        );
      chain ??= chainLoader();
      return (await chain)();
    },
  });
}
