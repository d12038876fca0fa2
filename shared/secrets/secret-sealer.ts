/**
 * Seals and opens secret strings (upstream API keys, OAuth tokens) with envelope encryption:
 * AES-256-GCM under a data key from a {@link DataKeySource}, the wrapped data key stored in the
 * sealed string itself. A sealed string reads `qgs1.<wrapped key>.<iv>.<tag>.<ciphertext>`
 * (base64url parts). The context (e.g. `account:<id>:apiKey`) is authenticated, so a sealed value
 * copied to another account or field does not open.
 *
 * A process reuses one data key for up to {@link DATA_KEY_USES} seals or
 * {@link DATA_KEY_LIFETIME_MS}, and remembers every data key it unwrapped: a gateway instance
 * makes one KMS Decrypt per data key it meets, not one per request.
 *
 * @example
 * ```ts
 * const sealer = new SecretSealer(new LocalDataKeys('.quotagate/secrets.key'));
 * const sealed = await sealer.seal('sk-…', 'account:acc_1:apiKey');
 * await sealer.open(sealed, 'account:acc_1:apiKey'); // 'sk-…'
 * isSealed('sk-…'); // false: a value written before sealing, read as it is
 * ```
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataKey, DataKeySource } from './data-keys.ts';

const PREFIX = 'qgs1.';
const IV_BYTES = 12;
/** A data key seals at most this many values, and is replaced after this long. */
export const DATA_KEY_USES = 10_000;
export const DATA_KEY_LIFETIME_MS = 60 * 60 * 1000;
/** Unwrapped data keys remembered per process; the oldest go first. */
const MAX_UNWRAPPED = 256;

export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(PREFIX);
}

export class SecretSealer {
  readonly #keys: DataKeySource;
  readonly #now: () => number;
  #current: { key: Promise<DataKey>; uses: number; madeAt: number } | undefined;
  readonly #unwrapped = new Map<string, Promise<Buffer>>();

  constructor(keys: DataKeySource, now: () => number = Date.now) {
    this.#keys = keys;
    this.#now = now;
  }

  #dataKey(): Promise<DataKey> {
    const now = this.#now();
    const current = this.#current;
    if (!current || current.uses >= DATA_KEY_USES || now - current.madeAt >= DATA_KEY_LIFETIME_MS) {
      const key = this.#keys.generate();
      this.#current = { key, uses: 0, madeAt: now };
      key.catch(() => {
        if (this.#current?.key === key) this.#current = undefined;
      });
    }
    const chosen = this.#current as { key: Promise<DataKey>; uses: number };
    chosen.uses += 1;
    return chosen.key;
  }

  async seal(plain: string, context: string): Promise<string> {
    const { plaintext, wrapped } = await this.#dataKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', plaintext, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const parts = [wrapped, iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url'));
    return `${PREFIX}${parts.join('.')}`;
  }

  /** The plain value; a value that is not sealed (written before sealing) is returned as it is. */
  async open(value: string, context: string): Promise<string> {
    if (!isSealed(value)) return value;
    const [wrapped, iv, tag, body] = value.slice(PREFIX.length).split('.');
    if (wrapped === undefined || iv === undefined || tag === undefined || body === undefined)
      throw new Error(`malformed sealed value (${context})`);
    const key = await this.#unwrap(wrapped);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }

  #unwrap(wrapped: string): Promise<Buffer> {
    const known = this.#unwrapped.get(wrapped);
    if (known) return known;
    if (this.#unwrapped.size >= MAX_UNWRAPPED) {
      const oldest = this.#unwrapped.keys().next().value;
      if (oldest !== undefined) this.#unwrapped.delete(oldest);
    }
    const key = this.#keys.unwrap(Buffer.from(wrapped, 'base64url'));
    this.#unwrapped.set(wrapped, key);
    // A failed unwrap (KMS throttled, say) is not remembered: the next read tries again.
    key.catch(() => this.#unwrapped.delete(wrapped));
    return key;
  }
}
