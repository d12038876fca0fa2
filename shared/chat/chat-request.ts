/**
 * Chat Completions → Responses, for the accounts that speak only Responses (ChatGPT OAuth).
 * Pure: a parsed `POST /v1/chat/completions` body in, the Responses body that asks the same out.
 *
 * Every documented Chat Completions field is either translated or refused with a 400 naming it:
 * dropping a field the client set (`n`, `stop`, `logprobs`, audio, …) would silently change what
 * it gets back. A field set to its default (`n: 1`, `logprobs: false`, `null`) asks for nothing
 * and passes. Unknown fields are refused as OpenAI refuses them. The one field dropped is a
 * message's `name`, which Responses has no place for and which never changes the answer's shape.
 *
 * @example
 * ```ts
 * const body = chatToResponsesRequest({ model: 'gpt-5', messages: [{ role: 'user', content: 'Hi' }] });
 * // { model: 'gpt-5', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] }] }
 * ```
 */
import { messagesToInput } from './chat-messages.ts';
import { isObject, type Json, refuse } from './chat-values.ts';

/** Fields that mean the same in both APIs and pass under the same name. */
const SAME_NAME = [
  'model',
  'stream',
  'parallel_tool_calls',
  'store',
  'metadata',
  'user',
  'safety_identifier',
  'prompt_cache_key',
  'prompt_cache_retention',
  'service_tier',
  'temperature',
  'top_p',
] as const;

/**
 * Chat-only fields and the values that ask for nothing; any other value has no Responses
 * counterpart and is refused.
 */
const HARMLESS_ONLY: Readonly<Record<string, (value: unknown) => boolean>> = {
  n: (value) => value === 1,
  logprobs: (value) => value === false,
  top_logprobs: (value) => value === 0,
  presence_penalty: (value) => value === 0,
  frequency_penalty: (value) => value === 0,
  logit_bias: (value) => isObject(value) && Object.keys(value).length === 0,
  stop: (value) => Array.isArray(value) && value.length === 0,
  seed: () => false,
  audio: () => false,
  prediction: () => false,
  web_search_options: () => false,
  modalities: (value) => Array.isArray(value) && value.every((modality) => modality === 'text'),
  functions: () => false,
  function_call: () => false,
};

/** Fields translated below, besides {@link SAME_NAME}. */
const TRANSLATED = new Set([
  'messages',
  'tools',
  'tool_choice',
  'response_format',
  'reasoning_effort',
  'verbosity',
  'max_tokens',
  'max_completion_tokens',
  'stream_options',
]);

const WHY: Readonly<Record<string, string>> = {
  functions: 'use tools instead',
  function_call: 'use tool_choice instead',
};

/**
 * The Responses body asking what `chat` asks; throws a 400 {@link GatewayError} for what cannot be
 * asked of Responses. `chat` must already be a JSON object with a string `model`.
 */
export function chatToResponsesRequest(chat: Json): Json {
  const out: Json = {};
  for (const [field, value] of Object.entries(chat)) {
    if (value === null || value === undefined) continue;
    if ((SAME_NAME as readonly string[]).includes(field)) out[field] = value;
    else if (Object.hasOwn(HARMLESS_ONLY, field)) {
      if (!HARMLESS_ONLY[field]?.(value)) {
        const why = WHY[field] ?? 'the ChatGPT backend serving this request has no equivalent';
        throw refuse(`${field} is not supported on this endpoint (${why})`, field);
      }
    } else if (!TRANSLATED.has(field)) {
      throw refuse(`Unrecognized request argument supplied: ${field}`, field);
    }
  }
  out.input = messagesToInput(chat.messages);
  const tools = toolsOf(chat.tools);
  if (tools) out.tools = tools;
  if (chat.tool_choice !== undefined && chat.tool_choice !== null)
    out.tool_choice = toolChoiceOf(chat.tool_choice);
  const text = textOf(chat.response_format, chat.verbosity);
  if (text) out.text = text;
  if (chat.reasoning_effort !== undefined && chat.reasoning_effort !== null) {
    if (typeof chat.reasoning_effort !== 'string')
      throw refuse('reasoning_effort must be a string', 'reasoning_effort');
    out.reasoning = { effort: chat.reasoning_effort };
  }
  const maxTokens = chat.max_completion_tokens ?? chat.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null) {
    if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1)
      throw refuse('max_completion_tokens must be a positive integer', 'max_completion_tokens');
    out.max_output_tokens = maxTokens;
  }
  const streamOptions = chat.stream_options;
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!isObject(streamOptions)) throw refuse('stream_options must be an object', 'stream_options');
    if (typeof streamOptions.include_obfuscation === 'boolean')
      out.stream_options = { include_obfuscation: streamOptions.include_obfuscation };
  }
  return out;
}

function toolsOf(tools: unknown): Json[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw refuse('tools must be an array', 'tools');
  return tools.map((tool, index) => {
    const param = `tools[${index}]`;
    if (!isObject(tool) || tool.type !== 'function' || !isObject(tool.function))
      throw refuse(`${param} must be a function tool ({"type":"function","function":{…}})`, param);
    const fn = tool.function;
    if (typeof fn.name !== 'string' || fn.name === '')
      throw refuse(`${param}.function.name is required`, param);
    // Chat Completions functions are lax unless they say strict; Responses defaults to strict.
    return {
      type: 'function',
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      parameters: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
      strict: fn.strict === true,
    };
  });
}

function functionName(choice: Json, param: string): string {
  const fn = choice.function;
  if (!isObject(fn) || typeof fn.name !== 'string') throw refuse(`${param}.function.name is required`, param);
  return fn.name;
}

function toolChoiceOf(choice: unknown): unknown {
  if (choice === 'none' || choice === 'auto' || choice === 'required') return choice;
  if (isObject(choice) && choice.type === 'function')
    return { type: 'function', name: functionName(choice, 'tool_choice') };
  if (isObject(choice) && choice.type === 'allowed_tools' && isObject(choice.allowed_tools)) {
    const { mode, tools } = choice.allowed_tools;
    if (!Array.isArray(tools))
      throw refuse('tool_choice.allowed_tools.tools must be an array', 'tool_choice');
    return {
      type: 'allowed_tools',
      mode,
      tools: tools.map((tool) => ({
        type: 'function',
        name: functionName(isObject(tool) ? tool : {}, 'tool_choice.allowed_tools.tools'),
      })),
    };
  }
  throw refuse('tool_choice must be none, auto, required or a function choice', 'tool_choice');
}

function formatOf(format: unknown): Json {
  if (!isObject(format)) throw refuse('response_format must be an object', 'response_format');
  if (format.type === 'text' || format.type === 'json_object') return { type: format.type };
  if (format.type === 'json_schema' && isObject(format.json_schema)) {
    const schema = format.json_schema;
    if (typeof schema.name !== 'string')
      throw refuse('response_format.json_schema.name is required', 'response_format');
    return {
      type: 'json_schema',
      name: schema.name,
      ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
      ...(isObject(schema.schema) ? { schema: schema.schema } : {}),
      ...(typeof schema.strict === 'boolean' ? { strict: schema.strict } : {}),
    };
  }
  throw refuse('response_format.type must be text, json_object or json_schema', 'response_format');
}

function textOf(format: unknown, verbosity: unknown): Json | undefined {
  const text: Json = {};
  if (format !== undefined && format !== null) text.format = formatOf(format);
  if (verbosity !== undefined && verbosity !== null) {
    if (typeof verbosity !== 'string') throw refuse('verbosity must be a string', 'verbosity');
    text.verbosity = verbosity;
  }
  return Object.keys(text).length > 0 ? text : undefined;
}
