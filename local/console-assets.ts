/**
 * The console's static files: `console/index.html` and one bundle of `console/src` (Preact,
 * uPlot and the pages) built by esbuild in memory the first time they are asked for, then kept.
 * Nothing generated is committed or written to disk, so the console can never be staler than
 * its sources, and nothing is fetched from a CDN: it works offline.
 *
 * Served without authentication (they hold no data; every data call needs the admin token),
 * with a Content-Security-Policy that allows only this origin.
 *
 * @example
 * ```ts
 * const asset = await consoleAsset('/console/main.js');
 * if (asset) response.writeHead(200, asset.headers).end(asset.body);
 * ```
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

export interface ConsoleAsset {
  headers: Record<string, string>;
  body: Buffer;
}

const ROOT = fileURLToPath(new URL('../console/', import.meta.url));

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

let built: Promise<Map<string, ConsoleAsset>> | undefined;

async function build(): Promise<Map<string, ConsoleAsset>> {
  // Loaded on demand: a gateway or CLI run that never serves the console never loads esbuild.
  const { build: esbuild } = await import('esbuild');
  const result = await esbuild({
    entryPoints: { main: `${ROOT}src/main.tsx` },
    bundle: true,
    write: false,
    outdir: '/console',
    format: 'esm',
    target: 'es2022',
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const assets = new Map<string, ConsoleAsset>();
  const type = (path: string) =>
    path.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
  for (const file of result.outputFiles) {
    const path = file.path.slice(file.path.lastIndexOf('/console/'));
    assets.set(path, {
      headers: { 'content-type': type(path), ...SECURITY_HEADERS },
      body: Buffer.from(file.contents),
    });
  }
  const html = await readFile(`${ROOT}index.html`);
  assets.set('/', {
    headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS },
    body: html,
  });
  return assets;
}

/** True for the paths the console's files live at (`/` and `/console/…`). */
export function isConsolePath(path: string): boolean {
  return path === '/' || path.startsWith('/console/');
}

/** The file at `path`, or undefined when the console has no such file. Builds on first use. */
export async function consoleAsset(path: string): Promise<ConsoleAsset | undefined> {
  built ??= build().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return (await built).get(path);
}

/**
 * Answers a GET or HEAD of a console path with its file (or a 404); false when the request is
 * not for the console, so the caller serves it.
 */
export async function serveConsole(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  const path = new URL(request.url ?? '/', 'http://console').pathname;
  if ((request.method !== 'GET' && request.method !== 'HEAD') || !isConsolePath(path)) return false;
  request.resume();
  const asset = await consoleAsset(path);
  const body =
    asset?.body ??
    Buffer.from(
      JSON.stringify({ error: { type: 'invalid_request_error', message: `No console file ${path}` } }),
    );
  response.writeHead(asset ? 200 : 404, {
    ...(asset?.headers ?? { 'content-type': 'application/json' }),
    'content-length': String(body.length),
  });
  response.end(request.method === 'HEAD' ? undefined : body);
  return true;
}
