import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cliWorldForSuite, runCliCaptured } from './cli-harness.ts';

const BIN = fileURLToPath(new URL('../../bin/quotagate.mjs', import.meta.url));

const run = (args: string[], env: Record<string, string>) => runCliCaptured(args, env);

async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  return typeof address === 'object' && address ? address.port : 0;
}

describe('quotagate entry point', () => {
  const world = cliWorldForSuite();

  it('prints the overview for help, --help and -h on stdout with exit 0', async () => {
    // Act
    const results = await Promise.all([run(['help'], {}), run(['--help'], {}), run(['-h'], {})]);

    // Assess
    for (const result of results) {
      assert.equal(result.code, 0);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /^Usage: quotagate <group> <command> \[flags\]$/m);
      for (const group of ['users', 'keys', 'groups', 'accounts', 'subscriptions', 'usage']) {
        assert.match(result.stdout, new RegExp(`^ {2}${group}\\s`, 'm'));
      }
    }
  });

  it('lists every command of a group, and every flag of a command with an example', async () => {
    // Act
    const group = await run(['accounts', '--help'], {});
    const viaHelp = await run(['help', 'accounts'], {});
    const command = await run(['keys', 'create', '--help'], {});

    // Assess
    assert.equal(group.code, 0);
    assert.equal(viaHelp.stdout, group.stdout);
    for (const name of [
      'create',
      'list',
      'show',
      'disable',
      'enable',
      'set',
      'add-group',
      'remove-group',
      'health',
      'clear',
    ]) {
      assert.match(group.stdout, new RegExp(`^ {2}${name}\\s`, 'm'));
    }
    assert.equal(command.code, 0);
    for (const flag of [
      '--user <id>',
      '--group <id>',
      '--name <text>',
      '--expires <date>',
      '--quota <usd>',
      '--models <a,b>',
    ]) {
      assert.ok(command.stdout.includes(flag), flag);
    }
    assert.match(command.stdout, /^Examples:\n {2}quotagate keys create --user usr_/m);
  });

  it('lists the commands of `usage` like any group, and its streaming commands take the common flags', async () => {
    // Act
    const direct = await run(['usage', '--help'], {});
    const viaHelp = await run(['help', 'usage'], {});
    const exportHelp = await run(['usage', 'export', '--help'], {});

    // Assess
    assert.equal(direct.code, 0);
    for (const command of ['export', 'from-export', 'replay-parked', 'sweep-pending']) {
      assert.match(direct.stdout, new RegExp(`^ {2}${command}\\s`, 'm'));
    }
    assert.equal(viaHelp.stdout, direct.stdout);
    assert.match(exportHelp.stdout, /^Usage: quotagate usage export \[flags\]$/m);
    assert.match(exportHelp.stdout, /^ {2}--format <csv\|jsonl>/m);
    assert.match(exportHelp.stdout, /--api, --admin-token/);
  });

  for (const [label, args, sentence] of [
    ['no command at all', [], /^Usage: quotagate <group>/m],
    [
      'an unknown command',
      ['frobnicate'],
      /^Error: Unknown command "frobnicate"\.\nRun `quotagate help` for usage\.\n$/,
    ],
    [
      'an unknown subcommand',
      ['users', 'delete'],
      /^Error: quotagate users has no command "delete"\.\nRun `quotagate users --help` for usage\.\n$/,
    ],
    ['a group without a subcommand', ['keys'], /^quotagate keys: /],
    ['an unknown flag', ['users', 'list', '--color'], /^Error: quotagate users list has no flag --color\./],
    ['a flag without its value', ['users', 'create', '--email'], /^Error: Flag --email needs a value/],
    ['a value for a boolean flag', ['users', 'list', '--json=yes'], /^Error: Flag --json takes no value\./],
    [
      'a stray argument',
      ['users', 'list', 'everyone'],
      /^Error: quotagate users list takes no arguments besides flags/,
    ],
    [
      'two credentials read from stdin',
      ['accounts', 'create', '--type', 'oauth', '--name', 'x', '--access-token', '-', '--refresh-token', '-'],
      /^Error: Only one flag can be read from stdin \("-"\); got 2\./,
    ],
    [
      '--region without tables',
      ['users', 'list', '--region', 'eu-west-1'],
      /--region needs --stage <stage> or --config-table <name>/,
    ],
  ] as const) {
    it(`exits 2 with a sentence on stderr and nothing on stdout for ${label}`, async () => {
      // Act
      const result = await run([...args], world.env);

      // Assess
      assert.equal(result.code, 2);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, sentence);
    });
  }

  it('says the local stack is not running when nothing listens on its port', async () => {
    // Prepare
    const port = await closedPort();

    // Act
    const result = await run(['users', 'list', '--json'], { QG_DYNALITE_PORT: String(port) });

    // Assess
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `Error: Cannot reach the local stack at http://127.0.0.1:${port} — is \`npm start\` running?\n`,
    );
  });

  it('names the missing table when the stage has none', async () => {
    // Act
    const result = await run(['groups', 'list', '--stage', 'nowhere'], world.env);

    // Assess
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^Error: Table quotagate-nowhere-config does not exist in the local stack at http:\/\/127\.0\.0\.1:\d+; check --stage or --config-table\.\n$/,
    );
  });

  it('uses the table names given by flag over the default ones', async () => {
    // Act
    const result = await run(['groups', 'list', '--config-table', 'custom-config'], world.env);

    // Assess
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Table custom-config does not exist/);
  });

  it('runs from bin/quotagate.mjs as a process and prints only JSON with --json', async () => {
    // Act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, 'users', 'create', '--email', 'spawned@example.com', '--balance', '0.1', '--json'],
      { env: { ...process.env, DYNAMODB_ENDPOINT: world.db.endpoint } },
    );

    // Assess
    const user = JSON.parse(stdout) as { id: string; balanceNano: number };
    assert.match(user.id, /^usr_/);
    assert.equal(user.balanceNano, 100_000_000);
  });

  it('stops quietly, exit 0, when its reader closes the pipe early (`| head`)', async () => {
    // Prepare: the read end of stdout is closed before the CLI writes, so every write meets EPIPE.
    const child = spawn(process.execPath, [BIN, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });

    // Act
    const [code] = (await once(child, 'close')) as [number | null];

    // Assess
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});
