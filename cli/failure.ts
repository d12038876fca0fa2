/**
 * Turns whatever a command threw into one sentence and an exit code. Known failures get a
 * sentence that says what to do; anything else is reported by its message only (no stack), and
 * the caller scrubs credential values from it.
 */
import { AdminError } from '#shared/admin/admin-error.ts';
import { UsageError } from './command.ts';
import { describeTarget, type Target } from './target.ts';

export interface Failure {
  message: string;
  exitCode: 1 | 2;
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT']);

/** The network error code, looking through the SDK's wrappers and Node's AggregateError. */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 3) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
  if (Array.isArray(errors)) {
    for (const inner of errors) {
      const found = networkCode(inner, depth + 1);
      if (found) return found;
    }
  }
  return networkCode(cause, depth + 1);
}

export function describeFailure(error: unknown, target: Target | undefined): Failure {
  if (error instanceof UsageError) {
    return { message: `${error.message}\nRun \`${error.helpCommand}\` for usage.`, exitCode: 2 };
  }
  if (error instanceof AdminError) {
    return { message: error.message, exitCode: error.kind === 'invalid' ? 2 : 1 };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const code = networkCode(error);
  if (code && target?.endpoint) {
    return { message: `Cannot reach ${describeTarget(target)} — is \`npm start\` running?`, exitCode: 1 };
  }
  if (code && target) return { message: `Cannot reach ${describeTarget(target)} (${code}).`, exitCode: 1 };
  if (name === 'ResourceNotFoundException' && target) {
    return {
      message: `Table ${target.tables.config} does not exist in ${describeTarget(target)}; check --stage or --config-table.`,
      exitCode: 1,
    };
  }
  if (name === 'CredentialsProviderError' && target) {
    return { message: `No AWS credentials for ${describeTarget(target)}: ${message}`, exitCode: 1 };
  }
  return { message: `${message.split('\n')[0] || name}`, exitCode: 1 };
}
