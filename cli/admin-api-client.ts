/**
 * How the CLI reaches the admin API: over HTTP (`--api <url>`), or in-process on the tables (the
 * same router the Lambda runs, with the CLI's own DynamoDB target). Either way a refusal comes
 * back as the {@link AdminError} the operation raised (400 → invalid, 404 → not_found, 409 →
 * conflict), so exit codes and sentences do not depend on the route taken.
 *
 * Over HTTP the request is authenticated with `--admin-token` (the local admin server) or, with
 * no token, signed with SigV4 for the `lambda` service using the default AWS credential chain:
 * the deployed admin Function URL has auth type AWS_IAM.
 *
 * @example
 * ```ts
 * const api = httpTransport({ url: 'http://127.0.0.1:8789', token });
 * const { data } = await api.call<{ data: unknown[] }>('GET', '/admin/v1/users');
 * ```
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { AdminError } from '#shared/admin/admin-error.ts';
import { createAdminApiDeps } from '#shared/admin-api/create-deps.ts';
import type { AdminResponse } from '#shared/admin-api/http.ts';
import { handleAdminRequest } from '#shared/admin-api/router.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { sdkRequester } from '#shared/store/dynamo/sdk-requester.ts';
import type { TableNames } from '#shared/tables/definitions.ts';

export interface ApiCallOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Pins the change to this version (sent as `If-Match`). */
  ifVersion?: number;
  /** More request headers, names lower-cased (e.g. `idempotency-key`). */
  headers?: Record<string, string>;
}

/** An answer of the admin API: its JSON body and its headers (names lower-cased). */
export interface AdminAnswer<T> {
  body: T;
  headers: Record<string, string>;
}

/** The admin API as the CLI's commands see it, whichever way it is reached. */
export interface AdminApi {
  /** The answer's body; a refusal is thrown as the operation's {@link AdminError}. */
  call<T = unknown>(method: string, path: string, options?: ApiCallOptions): Promise<T>;
  /** The answer with its headers, for the few that say more there (`idempotent-replayed`). */
  send<T = unknown>(method: string, path: string, options?: ApiCallOptions): Promise<AdminAnswer<T>>;
  /** The items of a listing (`GET` answering `{data: [...]}`). */
  list<T = unknown>(path: string, query?: ApiCallOptions['query']): Promise<T[]>;
}

function adminApiOf(send: AdminApi['send']): AdminApi {
  const call: AdminApi['call'] = async (method, path, options) =>
    (await send(method, path, options)).body as never;
  return {
    send,
    call,
    list: async <T>(path: string, query: ApiCallOptions['query'] = {}) =>
      (await call<{ data: T[] }>('GET', path, { query })).data,
  };
}

export interface ApiTarget {
  url: string;
  /** Bearer token of the local admin server; absent means SigV4 with AWS credentials. */
  token?: string;
  /** Signing region when the URL does not name one (`*.lambda-url.<region>.on.aws`). */
  region?: string;
}

function withQuery(path: string, query: ApiCallOptions['query'] = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** The operation's own error back from its HTTP form. */
function failureOf(status: number, text: string, where: string): Error {
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') message = parsed.error.message;
  } catch {
    // Not our JSON (a proxy, a Lambda error page): keep the start of the text.
  }
  if (status === 400) return AdminError.invalid(message);
  if (status === 404) return AdminError.notFound(message);
  if (status === 409) return AdminError.conflict(message);
  if (status === 401 || status === 403) {
    return new Error(`The admin API at ${where} refused the credentials (${status}): ${message}`);
  }
  return new Error(`The admin API at ${where} answered ${status}: ${message}`);
}

function read<T>(response: AdminResponse, where: string): AdminAnswer<T> {
  if (response.status >= 300) throw failureOf(response.status, response.body, where);
  return { body: JSON.parse(response.body) as T, headers: response.headers };
}

/** The admin router in this process, on the CLI's DynamoDB target. */
export function inProcessTransport(
  client: SdkDocumentClient,
  tables: TableNames,
  now?: () => number,
): AdminApi {
  const quiet = { info: () => {}, error: () => {} };
  const deps = createAdminApiDeps({
    client,
    // The SDK's credential chain, which the gateway's JSON client lacks.
    requester: sdkRequester(client),
    tables,
    logger: quiet,
    ...(now ? { now } : {}),
  });
  return adminApiOf(async <T>(method: string, path: string, options: ApiCallOptions = {}) => {
    const response = await handleAdminRequest(
      {
        method,
        path,
        query: { ...options.query },
        headers: {
          ...options.headers,
          ...(options.ifVersion === undefined ? {} : { 'if-match': String(options.ifVersion) }),
        },
        body: options.body === undefined ? '' : JSON.stringify(options.body),
        requestId: randomUUID(),
        caller: 'cli',
      },
      deps,
      { rethrowUnexpected: true },
    );
    return read<T>(response, 'the tables');
  });
}

/** SHA-256 (or its HMAC, given a secret) in the shape @smithy/signature-v4 asks for; exported for its test. */
export class NodeSha256 {
  #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  readonly #secret: Buffer | undefined;

  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#secret = secret === undefined ? undefined : toBuffer(secret);
    this.#hash = this.#fresh();
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    this.#hash = this.#fresh();
  }
  #fresh() {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/**
 * The headers of a request signed with SigV4 by the default AWS credential chain: for the admin
 * Function URL (`lambda`, the default) or another AWS API (`cloudformation`).
 */
export async function sigV4Headers(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  regionHint: string | undefined,
  service = 'lambda',
): Promise<Record<string, string>> {
  const region = /\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname)?.[1] ?? regionHint;
  if (!region) {
    throw new Error(
      `Cannot tell the AWS region of ${url.origin}; give --region, or an --admin-token for a local server.`,
    );
  }
  // Loaded on demand: only calls to the deployed API sign, and these modules are sizeable.
  const [{ SignatureV4 }, { defaultProvider }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@aws-sdk/credential-provider-node'),
  ]);
  const signer = new SignatureV4({
    service,
    region,
    credentials: defaultProvider(),
    sha256: NodeSha256,
  });
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query,
    headers: { ...headers, host: url.host },
    ...(body === undefined ? {} : { body }),
  });
  // fetch sends `host` itself (the same url.host that was signed) and may refuse to be given one.
  const { host: _host, ...rest } = signed.headers as Record<string, string>;
  return rest;
}

export function httpTransport(target: ApiTarget): AdminApi {
  const base = target.url.replace(/\/+$/, '');
  return adminApiOf(async <T>(method: string, path: string, options: ApiCallOptions = {}) => {
    const url = new URL(`${base}${withQuery(path, options.query)}`);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let headers: Record<string, string> = {
      ...options.headers,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.ifVersion === undefined ? {} : { 'if-match': `"${options.ifVersion}"` }),
    };
    if (target.token) headers.authorization = `Bearer ${target.token}`;
    else headers = await sigV4Headers(url, method, headers, body, target.region);
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
    } catch (error) {
      const local = /^(localhost|127\.|\[::1\])/.test(url.host);
      const hint = local ? ' — is `npm start` running?' : '';
      throw new Error(`Cannot reach the admin API at ${base}${hint}`, { cause: error });
    }
    const answer = { status: response.status, headers: Object.fromEntries(response.headers) };
    return read<T>({ ...answer, body: await response.text() }, base);
  });
}
