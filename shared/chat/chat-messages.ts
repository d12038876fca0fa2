/**
 * Chat Completions `messages` → Responses `input` items. System and developer messages become
 * developer messages (the ChatGPT backend keeps `instructions` for its own prompt), an
 * assistant's tool calls become `function_call` items after its text, and each tool message a
 * `function_call_output` with the same call id, so a tool-result turn reads as it was asked.
 *
 * @example
 * ```ts
 * messagesToInput([{ role: 'tool', tool_call_id: 'call_1', content: '21°C' }]);
 * // [{ type: 'function_call_output', call_id: 'call_1', output: '21°C' }]
 * ```
 */
import { isObject, type Json, refuse } from './chat-values.ts';

/** The `input` items of a message list; throws a 400 naming the first message that cannot be sent. */
export function messagesToInput(messages: unknown): Json[] {
  if (!Array.isArray(messages) || messages.length === 0)
    throw refuse('messages must be a non-empty array', 'messages');
  return messages.flatMap((message, index) => messageItems(message, `messages[${index}]`));
}

function messageItems(message: unknown, param: string): Json[] {
  if (!isObject(message)) throw refuse(`${param} must be an object`, param);
  switch (message.role) {
    case 'system':
    case 'developer':
      return [
        { type: 'message', role: 'developer', content: textParts(message.content, param, 'input_text') },
      ];
    case 'user':
      return [{ type: 'message', role: 'user', content: userParts(message.content, param) }];
    case 'assistant':
      return assistantItems(message, param);
    case 'tool':
      if (typeof message.tool_call_id !== 'string' || message.tool_call_id === '')
        throw refuse(`${param}.tool_call_id is required`, param);
      return [
        {
          type: 'function_call_output',
          call_id: message.tool_call_id,
          output: plainText(message.content, param),
        },
      ];
    default:
      throw refuse(`${param}.role must be system, developer, user, assistant or tool`, param);
  }
}

/** Text content as one string: tool outputs and Responses' `function_call_output` take a string. */
function plainText(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  return textParts(content, param, 'input_text')
    .map((part) => part.text)
    .join('');
}

function textParts(content: unknown, param: string, type: 'input_text' | 'output_text'): Json[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type, text: content }];
  if (!Array.isArray(content)) throw refuse(`${param}.content must be a string or an array of parts`, param);
  return content.map((part, index) => {
    if (!isObject(part) || part.type !== 'text' || typeof part.text !== 'string')
      throw refuse(`${param}.content[${index}] must be a text part`, param);
    return { type, text: part.text };
  });
}

function userParts(content: unknown, param: string): Json[] {
  if (typeof content === 'string') return [{ type: 'input_text', text: content }];
  if (!Array.isArray(content)) throw refuse(`${param}.content must be a string or an array of parts`, param);
  return content.map((part, index) => {
    const at = `${param}.content[${index}]`;
    if (!isObject(part)) throw refuse(`${at} must be an object`, at);
    if (part.type === 'text' && typeof part.text === 'string') return { type: 'input_text', text: part.text };
    if (part.type === 'image_url') {
      const image = isObject(part.image_url) ? part.image_url : {};
      if (typeof image.url !== 'string') throw refuse(`${at}.image_url.url is required`, at);
      return {
        type: 'input_image',
        image_url: image.url,
        detail: typeof image.detail === 'string' ? image.detail : 'auto',
      };
    }
    if (part.type === 'file' && isObject(part.file)) {
      const { file_data, file_id, filename } = part.file;
      return {
        type: 'input_file',
        ...(typeof file_data === 'string' ? { file_data } : {}),
        ...(typeof file_id === 'string' ? { file_id } : {}),
        ...(typeof filename === 'string' ? { filename } : {}),
      };
    }
    throw refuse(`${at}: content parts of type ${String(part.type)} are not supported on this endpoint`, at);
  });
}

function assistantItems(message: Json, param: string): Json[] {
  const items: Json[] = [];
  const content: Json[] = [];
  if (Array.isArray(message.content)) {
    for (const [index, part] of message.content.entries()) {
      if (isObject(part) && part.type === 'refusal' && typeof part.refusal === 'string')
        content.push({ type: 'refusal', refusal: part.refusal });
      else content.push(...textParts([part], `${param}.content[${index}]`, 'output_text'));
    }
  } else if (message.content !== undefined && message.content !== null) {
    content.push(...textParts(message.content, param, 'output_text'));
  }
  if (typeof message.refusal === 'string' && message.refusal !== '')
    content.push({ type: 'refusal', refusal: message.refusal });
  if (message.audio !== undefined && message.audio !== null)
    throw refuse(`${param}.audio is not supported on this endpoint`, param);
  if (message.function_call !== undefined && message.function_call !== null)
    throw refuse(`${param}.function_call is not supported on this endpoint (use tool_calls)`, param);
  // An assistant turn that only called tools has no message item: Responses pairs calls and
  // outputs by call id, and an empty message in between would only be noise.
  if (content.length > 0) items.push({ type: 'message', role: 'assistant', content });
  const calls = message.tool_calls ?? [];
  if (!Array.isArray(calls)) throw refuse(`${param}.tool_calls must be an array`, param);
  for (const [index, call] of calls.entries()) {
    const at = `${param}.tool_calls[${index}]`;
    if (!isObject(call) || call.type !== 'function' || !isObject(call.function))
      throw refuse(`${at} must be a function call`, at);
    const { name, arguments: args } = call.function;
    if (typeof call.id !== 'string' || typeof name !== 'string')
      throw refuse(`${at} needs an id and a function name`, at);
    items.push({
      type: 'function_call',
      call_id: call.id,
      name,
      arguments: typeof args === 'string' ? args : '',
    });
  }
  return items;
}
