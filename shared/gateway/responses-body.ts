/**
 * Step 2: the request body, with the 413 and 400 answers and messages of docs/architecture.md (request step 2)
 * plus the type checks a client needs to find its own mistake. Unknown fields, input item types
 * and tool types are kept untouched: the body is only re-serialised when the gateway must change
 * it (model mapping, instructions, `store`/`stream` for the ChatGPT backend).
 */
import { GatewayError } from '../errors.ts';

export interface ResponsesBody {
  /** The parsed body; mutate a copy, never this object. */
  json: Record<string, unknown>;
  model: string;
  stream: boolean;
}

const MAX_MODEL_LENGTH = 200;

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

export function parseResponsesBody(raw: Buffer, limitBytes: number): ResponsesBody {
  if (raw.length > limitBytes) {
    throw GatewayError.invalidRequest(`Request body too large, limit is ${describeBytes(limitBytes)}`, 413);
  }
  if (raw.length === 0) throw GatewayError.invalidRequest('Request body is empty');
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
