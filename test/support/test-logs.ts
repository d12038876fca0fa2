/**
 * The log of the stacks a test file starts, kept in memory and printed only when a test fails.
 *
 * Tests inject faults on purpose (refused PutEvents entries, dying recorder deliveries, upstream
 * errors), and the stack logs each one as an ERROR, as it must in production. Printed, those
 * lines make a green `npm test` look broken; dropped, they are missing exactly when a test fails.
 * So the stacks log through {@link testLogger}: the lines are kept (the newest
 * {@link KEPT_LINES}), written to stderr after a test (or hook) that failed, and forgotten after
 * one that passed. `QG_TEST_LOG_LEVEL` sets the level kept (default INFO);
 * `QG_TEST_LOG_LEVEL=SILENT` keeps nothing.
 *
 * Importing this module registers a file-wide `afterEach` hook, so only test files (and the
 * harnesses they import) may import it.
 *
 * @example
 * const stack = await startLocalStack({ port: 0, dataDir: null, logger: testLogger('quotagate-gateway') });
 */
import { afterEach } from 'node:test';
import { Logger } from '@aws-lambda-powertools/logger';

/** How many of the newest lines are kept; a long run forgets its oldest lines first. */
export const KEPT_LINES = 2_000;

const kept: string[] = [];

function keep(line: unknown): void {
  kept.push(String(line));
  if (kept.length > KEPT_LINES) kept.shift();
}

/** Where Powertools writes a line: the console methods it calls, by level. */
const KEEPING_CONSOLE = { debug: keep, info: keep, warn: keep, error: keep, log: keep, trace: keep };

type LoggerOptions = NonNullable<ConstructorParameters<typeof Logger>[0]>;

/**
 * A Powertools Logger that writes into the kept lines instead of stdout. Its children (the
 * gateway makes one per request) inherit the same destination through `createLogger`, the
 * extension point Powertools documents for subclasses.
 */
class KeepingLogger extends Logger {
  constructor(options: LoggerOptions) {
    super(options);
    // Powertools writes through a Console it builds on process.stdout and has no option for
    // another destination; this replaces that Console. If an upgrade renames the field, lines
    // reach stdout again, and test/unit/test-logs.test.ts fails.
    Reflect.set(this, 'console', KEEPING_CONSOLE);
  }

  protected override createLogger(options: LoggerOptions): Logger {
    return new KeepingLogger(options);
  }
}

/** A logger for a stack under test; see the module comment for where its lines go. */
export function testLogger(serviceName: string): Logger {
  const logLevel = (process.env.QG_TEST_LOG_LEVEL ?? 'INFO') as LoggerOptions['logLevel'];
  return new KeepingLogger({ serviceName, logLevel });
}

/** The lines kept since the last test ended, oldest first. */
export function keptLogLines(): readonly string[] {
  return kept;
}

function printKept(heading: string): void {
  if (kept.length === 0) return;
  process.stderr.write(`--- ${heading}: ${kept.length} log line(s) of the stack under test ---\n`);
  process.stderr.write(`${kept.join('\n')}\n`);
  kept.length = 0;
}

afterEach((context) => {
  // TestContext has `passed` at run time (Node ≥ 21.7); @types/node declares it on suites only.
  if ((context as { readonly passed: boolean }).passed) kept.length = 0;
  else printKept(`test "${context.name}" failed`);
});

// A failing `before` or `after` hook ends the file without an afterEach: the runner has set a
// failing exit code by then, so print what the stack logged while the hook ran.
process.once('exit', (code) => {
  if (code !== 0 || (process.exitCode !== undefined && process.exitCode !== 0)) {
    printKept('the test file failed');
  }
});
