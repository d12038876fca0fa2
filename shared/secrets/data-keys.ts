/**
 * Where the data keys that seal upstream credentials come from (envelope encryption): a data key
 * is made by a master key, used in memory to encrypt, and stored only in wrapped form beside the
 * ciphertext. On AWS the master key is the stack's customer-managed KMS key
 * ({@link KmsDataKeys}); the local stack uses a key file under its data folder
 * ({@link LocalDataKeys}). Both implement the same interface, so the sealing code is one path.
 *
 * @example
 * ```ts
 * const keys = new LocalDataKeys('.quotagate/secrets.key');
 * const { plaintext, wrapped } = await keys.generate();
 * (await keys.unwrap(wrapped)).equals(plaintext); // true
 * ```
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createKmsClient, type KmsJsonClient } from './kms-client.ts';

export interface DataKey {
  /** 32 bytes for AES-256-GCM; never stored. */
  plaintext: Buffer;
  /** The data key encrypted under the master key: what is stored beside the ciphertext. */
  wrapped: Buffer;
}

export interface DataKeySource {
  generate(): Promise<DataKey>;
  unwrap(wrapped: Buffer): Promise<Buffer>;
}

/**
 * Data keys from the stack's KMS key, through the project's own KMS client (`kms-client.ts`),
 * made at the first call: a process that never seals or opens reads no credentials.
 */
export class KmsDataKeys implements DataKeySource {
  readonly #keyId: string;
  readonly #makeClient: () => KmsJsonClient;
  #client: KmsJsonClient | undefined;

  /** `keyId`: the key's ARN, id or alias (`alias/quotagate-<stage>-secrets`). */
  constructor(keyId: string, makeClient: () => KmsJsonClient = createKmsClient) {
    this.#keyId = keyId;
    this.#makeClient = makeClient;
  }

  generate(): Promise<DataKey> {
    this.#client ??= this.#makeClient();
    return this.#client.generateDataKey(this.#keyId);
  }

  unwrap(wrapped: Buffer): Promise<Buffer> {
    this.#client ??= this.#makeClient();
    return this.#client.decrypt(this.#keyId, wrapped);
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A master key of 32 random bytes in a file (created with mode 0600 on first use), wrapping data
 * keys with AES-256-GCM: the local stack's stand-in for KMS. Losing the file loses the sealed
 * credentials, as deleting a KMS key would.
 */
export class LocalDataKeys implements DataKeySource {
  readonly #path: string;
  #master: Promise<Buffer> | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  #key(): Promise<Buffer> {
    this.#master ??= (async () => {
      try {
        return await readFile(this.#path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await mkdir(dirname(this.#path), { recursive: true });
        const key = randomBytes(32);
        // `wx`: two processes starting at once keep the first file, and both read it back.
        await writeFile(this.#path, key, { flag: 'wx', mode: 0o600 }).catch((writeError: unknown) => {
          if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError;
        });
        await chmod(this.#path, 0o600);
        return readFile(this.#path);
      }
    })();
    return this.#master;
  }

  async generate(): Promise<DataKey> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', await this.#key(), iv);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { plaintext, wrapped: Buffer.concat([iv, cipher.getAuthTag(), body]) };
  }

  async unwrap(wrapped: Buffer): Promise<Buffer> {
    const decipher = createDecipheriv('aes-256-gcm', await this.#key(), wrapped.subarray(0, IV_BYTES));
    decipher.setAuthTag(wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
