/**
 * Runs handlers behind the local Function URL server for a test file and closes every server
 * it started; the logger records what the server logged so tests can read it.
 */
import {
  type FunctionUrlLogger,
  type FunctionUrlServerOptions,
  type RunningFunctionUrlServer,
  startFunctionUrlServer,
} from '#local/function-url-server.ts';

export interface LogEntry {
  level: string;
  message: string;
  attributes?: Record<string, unknown>;
}

export type RecordingLogger = FunctionUrlLogger & { entries: LogEntry[] };

export function recordingLogger(): RecordingLogger {
  const entries: LogEntry[] = [];
  const record = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    entries.push({ level, message, ...(attributes ? { attributes } : {}) });
  };
  return { entries, info: record('info'), warn: record('warn'), error: record('error') };
}

export function functionUrlHarness() {
  const running: RunningFunctionUrlServer[] = [];
  return {
    async serve(
      handler: FunctionUrlServerOptions['handler'],
      options: Partial<FunctionUrlServerOptions> = {},
    ): Promise<{ url: string; logger: RecordingLogger }> {
      const logger = recordingLogger();
      const server = await startFunctionUrlServer({ handler, port: 0, logger, ...options });
      running.push(server);
      return { url: server.url, logger };
    },
    async closeAll(): Promise<void> {
      await Promise.all(running.splice(0).map((server) => server.close()));
    },
  };
}
