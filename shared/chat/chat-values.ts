/** The small vocabulary the Chat Completions translation shares: JSON objects and its 400. */
import { GatewayError } from '../errors.ts';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A 400 naming the field the client must change, as OpenAI names it in `error.param`. */
export function refuse(message: string, param: string): GatewayError {
  return new GatewayError(400, 'invalid_request_error', message, undefined, param);
}
