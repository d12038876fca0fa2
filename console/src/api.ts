/**
 * The console's only way to data: the admin API of the server that served it, same origin.
 * The admin token lives in this tab's sessionStorage and goes out as `Authorization: Bearer`;
 * it never appears in a URL. A 401 signs the console out.
 */
const TOKEN_KEY = 'quotagate-admin-token';

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

let signedOut: (refused: boolean) => void = () => {};

/** `refused` is true when the API refused the token, false when the admin signed out. */
export function onSignedOut(listener: (refused: boolean) => void): void {
  signedOut = listener;
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function signOut(refused = false): void {
  sessionStorage.removeItem(TOKEN_KEY);
  signedOut(refused);
}

export interface CallOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
}

function withQuery(path: string, query: CallOptions['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, value);
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

export async function api<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const secret = token();
  if (secret) headers.authorization = `Bearer ${secret}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/admin/v1${withQuery(path, options.query)}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let payload: unknown;
  try {
    payload = text === '' ? undefined : JSON.parse(text);
  } catch {
    payload = undefined;
  }
  if (!response.ok) {
    const message =
      (payload as { error?: { message?: string } } | undefined)?.error?.message ??
      `The admin API answered ${response.status}.`;
    if (response.status === 401) signOut(true);
    throw new ApiError(response.status, message);
  }
  return payload as T;
}

/** A fresh idempotency key for one admin money operation (a retry reuses it). */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}
