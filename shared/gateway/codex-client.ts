/**
 * Step 3: the instructions the ChatGPT Codex backend requires. Codex itself (recognised by its
 * `originator` header or User-Agent) brings its own prompt, today as a developer message in
 * `input`, and is left alone. Other clients (the SDK, curl) get the default instructions when
 * they send none; on an OAuth (ChatGPT backend) account, which accepts only its own prompt in
 * `instructions`, a client's instructions move into a leading developer message instead of being
 * dropped (docs/architecture.md, request step 3).
 */

/** Short built-in default; admins replace it through the Config table's settings. */
export const BUILT_IN_INSTRUCTIONS =
  'You are a helpful coding assistant. Answer concisely and accurately, and say so when you are unsure.';

const CODEX_CLIENT = /^codex[_\-\s/]/i;

/** True for Codex CLI, the Codex IDE extension, `codex exec` and the TUI. */
export function isCodexClient(headers: Record<string, string | undefined>): boolean {
  const originator = headers.originator ?? '';
  const userAgent = headers['user-agent'] ?? '';
  return CODEX_CLIENT.test(originator) || CODEX_CLIENT.test(userAgent);
}

/**
 * Returns the body's instructions and input as a non-Codex client's request should reach the
 * upstream; `chatgptBackend` says whether the account is an OAuth (ChatGPT) account.
 */
export function applyDefaultInstructions(
  body: Record<string, unknown>,
  defaultInstructions: string,
  chatgptBackend: boolean,
): Record<string, unknown> {
  const own =
    typeof body.instructions === 'string' && body.instructions.trim() !== '' ? body.instructions : undefined;
  if (!own) return { ...body, instructions: defaultInstructions };
  if (!chatgptBackend) return body;
  const developerMessage = {
    type: 'message',
    role: 'developer',
    content: [{ type: 'input_text', text: own }],
  };
  const input =
    typeof body.input === 'string'
      ? [
          developerMessage,
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: body.input }] },
        ]
      : [developerMessage, ...(Array.isArray(body.input) ? body.input : [])];
  return { ...body, instructions: defaultInstructions, input };
}
