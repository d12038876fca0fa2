/**
 * A small HTTP CONNECT proxy for tests of per-account egress: it tunnels to loopback targets only,
 * optionally demands Basic credentials (407 otherwise), and records every tunnel it was asked
 * for with the local port of its own connection to the target, so a test can match what the
 * mock upstream saw (`RecordedRequest.remotePort`) with a tunnel of this proxy.
 *
 * @example
 * ```ts
 * const proxy = await startConnectProxy({ user: 'acct1', password: 's3cret' });
 * // account.proxyUrl = proxy.urlWithCredentials
 * proxy.tunnels; // [{ target: '127.0.0.1:41234', authorized: true, egressPort: 53012 }]
 * await proxy.close();
 * ```
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface Tunnel {
  /** `host:port` the client asked to reach. */
  target: string;
  authorized: boolean;
  /** Local port of the proxy's connection to the target; absent when refused. */
  egressPort?: number;
}

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`, without credentials. */
  url: string;
  /** The URL with the expected credentials in it (the same as `url` when none are expected). */
  urlWithCredentials: string;
  tunnels: Tunnel[];
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export async function startConnectProxy(credentials?: {
  user: string;
  password: string;
}): Promise<ConnectProxy> {
  const expected = credentials
    ? `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`
    : undefined;
  const tunnels: Tunnel[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(405, { allow: 'CONNECT' }).end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    const authorized = expected === undefined || req.headers['proxy-authorization'] === expected;
    const tunnel: Tunnel = { target, authorized };
    tunnels.push(tunnel);
    const at = target.lastIndexOf(':');
    const host = target.slice(0, at);
    if (!authorized || !LOOPBACK.has(host)) {
      const status = authorized ? '403 Forbidden' : '407 Proxy Authentication Required';
      client.end(`HTTP/1.1 ${status}\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const upstream = connect(Number(target.slice(at + 1)), host.replace(/^\[|\]$/g, ''), () => {
      tunnel.egressPort = upstream.localPort;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no TCP address');
  const url = `http://127.0.0.1:${address.port}`;
  const urlWithCredentials = credentials
    ? `http://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${address.port}`
    : url;
  return {
    url,
    urlWithCredentials,
    tunnels,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
