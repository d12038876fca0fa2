/**
 * Parts of the local stack in child processes of their own, so that `npm start` uses every core:
 * the parent forks a child with Node's IPC channel, waits for its `ready` message, then calls it
 * with small request/answer messages (`call`); the child may send notices of its own
 * (`onNotice`) and ask the parent in turn (`answers`). Messages use the structured-clone
 * serialization, so dates and other non-JSON values arrive as they were sent. The benchmark's
 * processes talk the same way.
 *
 * Lifetime: a child lives exactly as long as its parent wants it. It leaves when asked (`stop`),
 * and when the IPC channel closes, which happens however the parent ends (exit, crash, SIGKILL),
 * so no child is left behind. It ignores SIGINT and SIGTERM while its parent is there: Ctrl-C in a
 * terminal signals the whole process group, and the parent must be able to finish its work (drain
 * the bus, let the recorder write) before it stops the children in order.
 *
 * @example
 * ```ts
 * // parent
 * const child = await forkChild('recorder', new URL('./recorder-process.ts', import.meta.url));
 * await child.call('record', envelope);
 * await child.stop();
 * // child
 * serveParent({ record: (envelope) => recorder.record(envelope) }, {}, () => close());
 * ```
 */
import { type ChildProcess, fork, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

interface CallMessage {
  callId: number;
  type: string;
  payload?: unknown;
}

type AnswerMessage = { callId: number; result: unknown } | { callId: number; error: string };

/** A child's question to its parent, answered with the same `askId`. */
interface AskMessage {
  askId: number;
  type: string;
  payload?: unknown;
}

type AskAnswer = { askId: number; result: unknown } | { askId: number; error: string };

/** A message a child sends on its own, not as an answer. */
export interface Notice {
  type: string;
  payload?: unknown;
}

type Handlers = Record<string, (payload: unknown) => unknown>;

/** How long a child may take to leave when asked before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

export interface ForkOptions {
  /** Arguments of the child script (`process.argv.slice(2)` there). */
  args?: readonly string[];
  env?: Record<string, string>;
  /** Node flags of the child (after `--import tsx` for a TypeScript script). */
  execArgv?: readonly string[];
  /** Default: the child writes to the parent's stdout and stderr; `onOutput` gets them instead. */
  onOutput?: (data: Buffer) => void;
  /** What the parent answers when the child asks (see `serveParent`'s `ask`). */
  answers?: Handlers;
  /** Told when the child exits after it was ready without having been asked to (`stop`). */
  onUnexpectedExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** What the child sent with its `ready` message (its URL, endpoint, …). */
  readonly info: Record<string, unknown>;
  /** Rejects with the child's error message, or when the child exits before it answers. */
  call<T>(type: string, payload?: unknown): Promise<T>;
  onNotice(listener: (notice: Notice) => void): void;
  /** Resolves when the child has exited, however it ended. */
  readonly exited: Promise<unknown>;
  /** Asks the child to close and exit; kills it if it has not within 10 s. */
  stop(): Promise<void>;
}

export async function forkChild(name: string, script: URL, options: ForkOptions = {}): Promise<Child> {
  const stdio: StdioOptions = options.onOutput
    ? ['ignore', 'pipe', 'pipe', 'ipc']
    : ['ignore', 'inherit', 'inherit', 'ipc'];
  const child = fork(fileURLToPath(script), [...(options.args ?? [])], {
    // A bundle (.mjs) runs as plain JavaScript; sources are transpiled by tsx.
    execArgv: [...(script.pathname.endsWith('.mjs') ? [] : ['--import', 'tsx']), ...(options.execArgv ?? [])],
    stdio,
    serialization: 'advanced',
    env: { ...process.env, ...options.env },
  });
  if (options.onOutput) {
    child.stdout?.on('data', options.onOutput);
    child.stderr?.on('data', options.onOutput);
  }
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const noticeListeners: ((notice: Notice) => void)[] = [];
  let nextCallId = 1;
  const exited = once(child, 'exit');
  void exited.then(() => {
    for (const { reject } of pending.values()) reject(new Error(`${name} process exited`));
    pending.clear();
  });

  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('message', (received: Notice | AnswerMessage | AskMessage) => {
      if ('askId' in received)
        return answer(received, options.answers ?? {}, (message) => child.send(message));
      if (!('callId' in received)) {
        if (received.type === 'ready') resolve(received as unknown as Record<string, unknown>);
        else for (const listener of noticeListeners) listener(received);
        return;
      }
      const waiter = pending.get(received.callId);
      if (!waiter) return;
      pending.delete(received.callId);
      if ('error' in received) waiter.reject(new Error(`${name}: ${received.error}`));
      else waiter.resolve(received.result);
    });
    void exited.then(() => reject(new Error(`${name} process exited before it was ready`)));
  });

  let stopping = false;
  void exited.then(([code, signal]) => {
    if (!stopping) options.onUnexpectedExit?.(code as number | null, signal as NodeJS.Signals | null);
  });
  return {
    name,
    process: child,
    info,
    exited,
    call<T>(type: string, payload?: unknown): Promise<T> {
      if (!child.connected) return Promise.reject(new Error(`${name} process is gone`));
      const callId = nextCallId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(callId, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ callId, type, payload } satisfies CallMessage);
      });
    },
    onNotice: (listener) => noticeListeners.push(listener),
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send({ callId: 0, type: 'exit' } satisfies CallMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Child side: answers the parent's calls with `handlers` (plus `exit`, which runs `onExit` and
 * leaves), sends `ready` with `info`, and leaves the same way when the parent is gone. Returns
 * `notify`, for notices to the parent, and `ask`, for questions the parent answers (`answers`).
 */
export function serveParent(
  handlers: Handlers,
  info: Record<string, unknown>,
  onExit: () => Promise<void>,
): { notify(notice: Notice): void; ask<T>(type: string, payload?: unknown): Promise<T> } {
  const send = (message: unknown) => {
    if (process.connected) process.send?.(message);
  };
  const asked = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextAskId = 1;
  let leaving = false;
  const leave = () => {
    if (leaving) return;
    leaving = true;
    for (const { reject } of asked.values()) reject(new Error('the parent process is gone'));
    void onExit()
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  // The parent decides when the stack stops; once it is gone, `disconnect` ends this process, and
  // so does a signal that finds it already alone.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      if (!process.connected) leave();
    });
  process.on('disconnect', leave);
  process.on('message', (message: CallMessage | AskAnswer) => {
    if ('askId' in message) {
      const waiter = asked.get(message.askId);
      asked.delete(message.askId);
      if ('error' in message) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
      return;
    }
    if (message.type === 'exit') leave();
    else answer(message, handlers, send);
  });
  send({ type: 'ready', ...info });
  return {
    notify: send,
    ask<T>(type: string, payload?: unknown): Promise<T> {
      if (!process.connected) return Promise.reject(new Error('the parent process is gone'));
      const askId = nextAskId++;
      return new Promise<T>((resolve, reject) => {
        asked.set(askId, { resolve: resolve as (value: unknown) => void, reject });
        send({ askId, type, payload } satisfies AskMessage);
      });
    },
  };
}

/** Runs the handler a call or question names and sends its result or error back with its id. */
function answer(
  message: CallMessage | AskMessage,
  handlers: Handlers,
  send: (message: AnswerMessage | AskAnswer) => void,
): void {
  const reply = (outcome: { result: unknown } | { error: string }) =>
    send(
      ('askId' in message
        ? { askId: message.askId, ...outcome }
        : { callId: message.callId, ...outcome }) as AnswerMessage,
    );
  const handler = handlers[message.type];
  if (!handler) {
    reply({ error: `unknown call ${message.type}` });
    return;
  }
  Promise.resolve()
    .then(() => handler(message.payload))
    .then(
      (result) => reply({ result }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : String(error) }),
    );
}
