/**
 * `node:http` for the Lambda bundles, taken with `process.getBuiltinModule` instead of an ESM
 * import. To build the ESM namespace of a built-in module Node reads every export, and reading
 * node:http's lazy `WebSocket`-family exports loads Node's internal undici: about a sixth of the
 * gateway bundle's import CPU, for classes no function uses. esbuild's `alias` points every
 * `http` and `node:http` import of a bundle here (`BUNDLE_ALIAS` in bundling.ts); esbuild fails
 * the build if a bundled module imports a name this file does not export.
 */
const http = process.getBuiltinModule('node:http');

export default http;
export const {
  Agent,
  ClientRequest,
  IncomingMessage,
  METHODS,
  OutgoingMessage,
  STATUS_CODES,
  Server,
  ServerResponse,
  createServer,
  get,
  globalAgent,
  maxHeaderSize,
  request,
  setMaxIdleHTTPParsers,
  validateHeaderName,
  validateHeaderValue,
} = http;
