#!/usr/bin/env node
// Launcher for `npx quotagate …`: teaches Node TypeScript through tsx, then runs the CLI with
// the real process streams. The CLI itself lives in ../cli/main.ts.
import { register } from 'tsx/esm/api';

register();
// A reader that stops early (`quotagate usage export … | head`) closes the pipe: stop quietly, as
// Unix tools do, instead of dying on EPIPE with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});
const { runCli } = await import('../cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: process.stdin,
});
