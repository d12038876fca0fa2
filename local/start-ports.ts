/**
 * The ports `npm start` is told to use, checked before anything starts, so that a newcomer whose
 * 8787 is taken reads one sentence naming the variable that moves it — not a stack trace, nor a
 * child process dying half-started. (A port taken between the check and the listen still fails
 * the start, only less kindly.)
 *
 * @example
 * ```ts
 * const problem = await portProblem([['PORT', process.env.PORT, 8787]]);
 * if (problem) { console.error(problem); process.exit(1); }
 * ```
 */
import { createServer } from 'node:net';

/** A port variable: its name, its value in the environment (if set) and its default. */
export type PortVariable = readonly [name: string, value: string | undefined, fallback: number];

/** The port a variable names: its default when unset or empty, `undefined` when not a port. */
export function portOf([, value, fallback]: PortVariable): number | undefined {
  if (value === undefined || value.trim() === '') return fallback;
  return /^\d{1,5}$/.test(value.trim()) && Number(value) <= 65_535 ? Number(value) : undefined;
}

/** Whether something already listens on `port` of 127.0.0.1 (0, any free port, never is). */
export async function portTaken(port: number): Promise<boolean> {
  if (port === 0) return false;
  const probe = createServer();
  const taken = await new Promise<boolean>((resolve, reject) => {
    probe.once('listening', () => resolve(false));
    probe.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(true) : reject(error),
    );
    probe.listen(port, '127.0.0.1');
  });
  if (!taken) await new Promise((resolve) => probe.close(resolve));
  return taken;
}

/** The first port variable that is not a port or is taken, as a sentence; `undefined` when all are free. */
export async function portProblem(variables: readonly PortVariable[]): Promise<string | undefined> {
  for (const variable of variables) {
    const [name, value] = variable;
    const port = portOf(variable);
    if (port === undefined) return `${name} must be a port number (0–65535), got "${value}".`;
    if (await portTaken(port)) {
      return `Port ${port} (${name}) is already in use: stop what listens there, or move it, e.g. ${name}=${port + 100} npm start.`;
    }
  }
  return undefined;
}
