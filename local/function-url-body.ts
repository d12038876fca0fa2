/**
 * How the local Function URL server reads a request's body: never holding more of it than the
 * payload limit, and reading a refused body to its end before the 413 goes out (a client still
 * uploading would otherwise see its socket reset instead of the answer).
 *
 * @example
 * ```ts
 * const body = await readCapped(request, FUNCTION_URL_PAYLOAD_LIMIT_BYTES);
 * if (body === 'too-large') return refuseTooLarge(request, response, 'Request body too large');
 * ```
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '#shared/errors.ts';
import { sendRefusal } from './function-url-response.ts';

const MIB = 1024 * 1024;

export type CappedBody = Buffer | 'too-large' | 'aborted';

/** Reads the body without ever holding more than `limit` bytes of it. */
export function readCapped(request: IncomingMessage, limit: number): Promise<CappedBody> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: CappedBody) => {
      request.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) settle('too-large');
      else chunks.push(chunk);
    };
    const onEnd = () => settle(Buffer.concat(chunks, size));
    const onClose = () => settle('aborted');
    request.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose);
  });
}

/**
 * A refused body is read to its end and dropped (never buffered) before the 413 goes out with
 * `connection: close`: a client still uploading would otherwise have its socket closed under it
 * and see a reset instead of the answer. Past {@link DRAIN_LIMIT_BYTES} the client gets the 413
 * at once; the request timeout bounds how long draining may take.
 */
export async function refuseTooLarge(
  request: IncomingMessage,
  response: ServerResponse,
  message: string,
): Promise<void> {
  if ((await discardRest(request, DRAIN_LIMIT_BYTES)) === 'aborted') return;
  response.shouldKeepAlive = false;
  sendRefusal(response, GatewayError.invalidRequest(message, 413));
}

/** Bodies a refused client may still send before the 413 is answered regardless. */
const DRAIN_LIMIT_BYTES = 64 * MIB;

function discardRest(request: IncomingMessage, budget: number): Promise<'ended' | 'too-much' | 'aborted'> {
  if (request.complete) return Promise.resolve('ended');
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > budget) return Promise.resolve('too-much');
  return new Promise((resolve) => {
    let seen = 0;
    const settle = (result: 'ended' | 'too-much' | 'aborted') => {
      request.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > budget) settle('too-much');
    };
    const onEnd = () => settle('ended');
    const onClose = () => settle(request.complete ? 'ended' : 'aborted');
    request.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose);
    request.resume();
  });
}
