/**
 * Which parts of an account's credentials are secret, and how they are sealed at rest: the
 * platform API key, the OAuth access and refresh tokens and the outbound proxy URL (which may
 * carry the proxy's password) are stored sealed
 * (`secret-sealer.ts`); the ChatGPT account id and the token's expiry stay readable, so admins
 * see them without the power to decrypt. The refresh token also gets a SHA-256 fingerprint,
 * which the token refresher's conditional writes compare (a sealed value differs at every seal).
 *
 * Items written before sealing hold plain values: they are read as they are and sealed the next
 * time they are written (`quotagate accounts reseal` seals them all at once).
 *
 * @example
 * ```ts
 * const stored = await sealCredentials(sealer, account.id, account.credentials);
 * const usable = await openCredentials(sealer, account.id, stored);
 * ```
 */
import { createHash } from 'node:crypto';
import type { Account } from '../domain/types.ts';
import { isSealed, type SecretSealer } from './secret-sealer.ts';

export const SECRET_CREDENTIAL_FIELDS = ['apiKey', 'accessToken', 'refreshToken', 'proxyUrl'] as const;
type SecretField = (typeof SECRET_CREDENTIAL_FIELDS)[number];

/** The attribute under `credentials` holding {@link refreshTokenFingerprint}. */
export const REFRESH_TOKEN_FINGERPRINT = 'refreshTokenSha256';

/** Authenticated with the ciphertext: a sealed value opens only as this account's field. */
export function accountSecretContext(accountId: string, field: SecretField): string {
  return `account:${accountId}:${field}`;
}

export function refreshTokenFingerprint(refreshToken: string): string {
  return createHash('sha256').update(refreshToken).digest('hex');
}

type Credentials = Account['credentials'];

export async function sealCredentials(
  sealer: SecretSealer,
  accountId: string,
  credentials: Credentials,
): Promise<Record<string, unknown>> {
  const stored: Record<string, unknown> = { ...credentials };
  for (const field of SECRET_CREDENTIAL_FIELDS) {
    const value = stored[field];
    if (typeof value === 'string' && !isSealed(value))
      stored[field] = await sealer.seal(value, accountSecretContext(accountId, field));
  }
  const refreshToken = (credentials as { refreshToken?: unknown }).refreshToken;
  if (typeof refreshToken === 'string' && !isSealed(refreshToken))
    stored[REFRESH_TOKEN_FINGERPRINT] = refreshTokenFingerprint(refreshToken);
  return stored;
}

export async function openCredentials(
  sealer: SecretSealer,
  accountId: string,
  stored: Record<string, unknown> | undefined,
): Promise<Credentials> {
  const open: Record<string, unknown> = { ...stored };
  delete open[REFRESH_TOKEN_FINGERPRINT];
  await Promise.all(
    SECRET_CREDENTIAL_FIELDS.map(async (field) => {
      const value = open[field];
      if (typeof value === 'string')
        open[field] = await sealer.open(value, accountSecretContext(accountId, field));
    }),
  );
  return open as unknown as Credentials;
}

/** The account with its credentials opened; the item as stored is left untouched. */
export async function openAccount<T extends Account>(sealer: SecretSealer, account: T): Promise<T> {
  const credentials = await openCredentials(
    sealer,
    account.id,
    account.credentials as unknown as Record<string, unknown>,
  );
  return { ...account, credentials };
}
