/**
 * Step 2: the request body, with the 413 and 400 answers and messages of docs/architecture.md (request step 2)
 * plus the type checks a client needs to find its own mistake. Unknown fields, input item types
 * and tool types are kept untouched: the upstream gets the parsed body serialised again with only
 * the gateway's changes (model mapping, instructions, `store`/`stream` for the ChatGPT backend).
 */
import { GatewayError } from '../errors.ts';

export interface ResponsesBody {
  /** The parsed body; mutate a copy, never this object. */
  json: Record<string, unknown>;
  model: string;
  stream: boolean;
}

const MAX_MODEL_LENGTH = 200;

/**
 * JSON values a body may hold. JSON.parse builds each on V8's heap, whose old space the gateway
 * caps at 64 MB (infra/bundling.ts) with 25–30 MB of it live once the token counter is loaded: a
 * 6 MB body of 2 M empty objects parses into over 100 MB and would stop the process, where a prompt
 * of that size is a few long strings. A value costs at most about 35 bytes of heap (an empty
 * object, a key with its number), so this many stay under 20 MB; a conversation's items hold a
 * few values per hundred bytes.
 */
export const MAX_BODY_VALUES = 500_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/** Model names end up in record keys and logs; control characters have no place there. */
function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

export function describeBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** Where the string opened at `open` ends (its closing quote), or the end of `raw`. */
function stringEnd(raw: Buffer, open: number): number {
  let at = open;
  for (;;) {
    at = raw.indexOf(QUOTE, at + 1);
    if (at === -1) return raw.length;
    let backslashes = 0;
    while (raw[at - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/**
 * True when `raw` holds more than `limit` JSON values, counted as the `{`, `[` and `,` outside
 * strings (a value is one of them or follows one); a body of no more bytes than `limit` cannot.
 */
function holdsMoreValues(raw: Buffer, limit: number): boolean {
  if (raw.length <= limit) return false;
  let values = 0;
  for (let at = 0; at < raw.length; at++) {
    const byte = raw[at];
    if (byte === QUOTE) at = stringEnd(raw, at);
    else if (byte === COMMA || byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      values++;
      if (values > limit) return true;
    }
  }
  return false;
}

export function parseResponsesBody(raw: Buffer, limitBytes: number): ResponsesBody {
  if (raw.length > limitBytes) {
    throw GatewayError.invalidRequest(`Request body too large, limit is ${describeBytes(limitBytes)}`, 413);
  }
  if (raw.length === 0) throw GatewayError.invalidRequest('Request body is empty');
  if (holdsMoreValues(raw, MAX_BODY_VALUES)) {
    throw GatewayError.invalidRequest(
      `Request body holds too many JSON values, limit is ${MAX_BODY_VALUES.toLocaleString('en')}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    throw GatewayError.invalidRequest('Failed to parse request body');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw GatewayError.invalidRequest('Request body must be a JSON object');
  }
  const body = json as Record<string, unknown>;
  const model = body.model;
  if (model === undefined || model === null || model === '')
    throw GatewayError.invalidRequest('model is required');
  if (typeof model !== 'string') throw GatewayError.invalidRequest('model must be a string');
  if (model.length > MAX_MODEL_LENGTH || hasControlCharacter(model)) {
    throw GatewayError.invalidRequest('model is not a valid model name');
  }
  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw GatewayError.invalidRequest('stream must be a boolean');
  }
  return { json: body, model, stream: stream === true };
}
