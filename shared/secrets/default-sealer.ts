/**
 * The process's {@link SecretSealer}, chosen from the environment once: the stack's KMS key when
 * `QG_SECRETS_KEY_ID` names it (the stack sets it on every function that seals or opens
 * credentials; the CLI sets the stage's alias when it writes to AWS), else the local key file
 * `QG_SECRETS_KEY_FILE` (default `.quotagate/secrets.key`, beside the local stack's data).
 *
 * @example
 * ```ts
 * const sealed = await secretSealer().seal(apiKey, accountSecretContext(account.id, 'apiKey'));
 * ```
 */
import { resolve } from 'node:path';
import { readVariable } from '../settings.ts';
import { KmsDataKeys, LocalDataKeys } from './data-keys.ts';
import { SecretSealer } from './secret-sealer.ts';

export const DEFAULT_LOCAL_KEY_FILE = '.quotagate/secrets.key';

/** The alias the stack gives its credentials key: what the CLI names when it writes to AWS. */
export function secretsKeyAlias(stage: string): string {
  return `alias/quotagate-${stage}-secrets`;
}

let sealer: SecretSealer | undefined;

export function secretSealer(env: NodeJS.ProcessEnv = process.env): SecretSealer {
  const keyId = readVariable(env, 'QG_SECRETS_KEY_ID');
  sealer ??= new SecretSealer(
    keyId
      ? new KmsDataKeys(keyId)
      : new LocalDataKeys(resolve(env.QG_SECRETS_KEY_FILE || DEFAULT_LOCAL_KEY_FILE)),
  );
  return sealer;
}
