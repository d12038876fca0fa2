/**
 * A read-only stand-in for S3's GetObject (path-style: `GET /<bucket>/<key>`), serving the files
 * of a local folder that stands for the bucket's root, so `s3://` reads are tested without AWS.
 * Unknown buckets and keys answer 404 `NoSuchKey`, as S3 does.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

export interface LocalS3 {
  endpoint: string;
  /** GET requests served, by key, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startLocalS3(bucket: string, root: string): Promise<LocalS3> {
  const requests: string[] = [];
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://s3').pathname);
    const [, requested = '', ...rest] = path.split('/');
    const key = rest.join('/');
    requests.push(key);
    const file = normalize(join(root, key));
    try {
      if (request.method !== 'GET' || requested !== bucket || !file.startsWith(root)) throw new Error('no');
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      response.end(body);
    } catch {
      response.writeHead(404, { 'content-type': 'application/xml' });
      response.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
      );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
