/**
 * The AWS SDK's default credential chain (environment, profiles, SSO, a role) for the KMS calls
 * of a process that runs outside Lambda against AWS: the CLI, and the local stack when it is given
 * a KMS key. Only code that already has the SDK imports this file: a Lambda function finds its
 * credentials in its environment and bundles no chain (kms-client.ts).
 *
 * @example
 * ```ts
 * useSdkCredentialChain(); // before the first seal
 * ```
 */
import { useCredentialChain } from './kms-client.ts';

export function useSdkCredentialChain(): void {
  useCredentialChain(() =>
    import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider()),
  );
}
