/**
 * The customer-managed KMS key that seals upstream credentials (API keys, OAuth tokens) in the
 * Config table (envelope encryption in the app: `shared/secrets/`). Each function is granted
 * exactly what its code does with it: the gateway and the token refresher open credentials and
 * seal refreshed tokens (`kms:Decrypt`, `kms:GenerateDataKey`; the gateway refreshes an expired
 * token on demand), the admin API only seals what an admin enters (`kms:GenerateDataKey`), never
 * reading a secret back. The recorder gets nothing. Every granted function learns the key from `QG_SECRETS_KEY_ID`.
 *
 * @example
 * ```ts
 * const secrets = new SecretsKey(this, 'Secrets', { stage });
 * secrets.grantOpenAndSeal(gateway.function);
 * ```
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { secretsKeyAlias } from '#shared/secrets/default-sealer.ts';

export interface SecretsKeyProps {
  readonly stage: string;
}

export class SecretsKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: SecretsKeyProps) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      alias: secretsKeyAlias(props.stage),
      description: `quotagate ${props.stage}: seals upstream credentials in the Config table`,
      enableKeyRotation: true,
      // Retained like the Config table: without the key, the sealed credentials are lost.
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
  }

  /** Seals new credentials only: the admin API. */
  grantSeal(fn: LambdaFunction): void {
    this.#grant(fn, ['kms:GenerateDataKey']);
  }

  /** Opens and re-seals: the gateway and the token refresher. */
  grantOpenAndSeal(fn: LambdaFunction): void {
    this.#grant(fn, ['kms:Decrypt', 'kms:GenerateDataKey']);
  }

  #grant(fn: LambdaFunction, actions: string[]): void {
    fn.addToRolePolicy(new PolicyStatement({ actions, resources: [this.key.keyArn] }));
    fn.addEnvironment('QG_SECRETS_KEY_ID', this.key.keyArn);
  }
}
