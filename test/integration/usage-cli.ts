/**
 * Runs `quotagate usage …` in-process against a recorder world's tables and captures what it
 * writes, for the usage export tests.
 */
import { runCli } from '../../cli/main.ts';
import type { RecorderWorld } from './recorder-harness.ts';

/** A stdout or stderr that keeps what is written; `isTTY` makes it look like a terminal. */
export class Capture {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

export interface UsageRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `quotagate usage <args>` on the world's Usage and Config tables. */
export async function runUsage(world: RecorderWorld, args: string[], stderrIsTTY = false): Promise<UsageRun> {
  const target = [
    '--endpoint',
    world.db.endpoint,
    '--usage-table',
    world.tables.usage,
    '--config-table',
    world.tables.config,
  ];
  const stdout = new Capture();
  const stderr = new Capture(stderrIsTTY);
  const code = await runCli(['usage', ...args, ...target], { stdout, stderr, env: {} });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
