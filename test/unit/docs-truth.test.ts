/**
 * The docs stay true when code moves: every source file they name exists, every `QG_*` variable
 * the code reads is in docs/configuration.md, every CLI command and flag is in docs/cli.md, and
 * docs/architecture.md's layer list names every source folder.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GLOBAL_FLAGS } from '../../cli/global-flags.ts';
import { COMMAND_GROUPS } from '../../cli/main.ts';
import {
  layerEntry,
  layersBlock,
  missingSourceFiles,
  namedSourceFiles,
  repositoryFiles,
  undocumentedCli,
  unnamedFolders,
  variablesNamed,
  variablesReadBy,
} from '../support/docs-truth.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const files = repositoryFiles(root);
const docs = ['README.md', ...files.filter((file) => /^docs\/[^/]+\.md$/.test(file))];

/** The code a deployed function, `npm start`, the CLI or the bench runs (tests set their own). */
const RUNTIME_SOURCES = /^(shared|functions|local|cli|bench|infra|console\/src|bin)\/.+\.(ts|tsx|mjs)$/;

describe('the docs readers', () => {
  it('finds the source files a text names, paths and bare names, but no patterns', () => {
    const text =
      'See `shared/gateway/router.ts`, `sse-relay.ts` and `#shared/admin/users.ts`; ' +
      'also `functions/*/handler.ts`, `<name>.ts`, `import { x } from "./local/dynalite.ts"` and .ts outside backticks.ts';
    assert.deepEqual(namedSourceFiles(text).sort(), [
      'local/dynalite.ts',
      'shared/admin/users.ts',
      'shared/gateway/router.ts',
      'sse-relay.ts',
    ]);
  });

  it('reports a path that moved and a bare name no file has', () => {
    const repo = ['shared/gateway/router.ts', 'shared/gateway/sse-relay.ts'];
    assert.deepEqual(
      missingSourceFiles(['shared/gateway/router.ts', 'sse-relay.ts', 'shared/router.ts', 'gone.ts'], repo),
      ['shared/router.ts', 'gone.ts'],
    );
  });

  it('reads QG_ variable names, whole', () => {
    assert.deepEqual(variablesNamed("env.QG_A_B ?? process.env['QG_C']; 'QG_' + name; NOT_QG_D"), [
      'QG_A_B',
      'QG_C',
    ]);
  });

  it('reports a CLI group, command or flag its page leaves out', () => {
    const groups = [
      {
        name: 'users',
        commands: [
          { name: 'create', flags: { email: {}, balance: {} } },
          { name: 'list', flags: {} },
        ],
      },
      { name: 'keys', commands: [{ name: 'create', flags: { user: {} } }] },
    ];
    const page =
      '# CLI\n\n## users\n\n`users create` takes `--email` and `--balance-alert`.\n\n## ops\n\n`users list`\n';
    assert.deepEqual(undocumentedCli(groups, page), ['users create --balance', 'users list', 'keys']);
  });

  it('reports a folder the layer list does not name', () => {
    const page =
      '## Layers\n\n```\nshared/gateway/   the core\nshared/billing/ shared/recorder/  money\n```\n\n## Data\n';
    assert.deepEqual(
      unnamedFolders(
        ['shared/gateway/', 'shared/recorder/', 'shared/chat/', 'shared/bill/'],
        layersBlock(page),
      ),
      ['shared/chat/', 'shared/bill/'],
    );
    const block = '```\nfunctions/x   edges: a, b,\n              c\nlocal/    d\n```';
    assert.equal(
      layerEntry(block.replaceAll('```', ''), 'functions/'),
      'functions/x   edges: a, b,\n              c',
    );
  });
});

describe('the docs against the repository', () => {
  it('names only source files that exist where they say', () => {
    const missing = docs.flatMap((doc) =>
      missingSourceFiles(namedSourceFiles(read(doc)), files).map((name) => `${doc}: ${name}`),
    );
    assert.deepEqual(missing, []);
  });

  it('lists in docs/configuration.md every QG_ variable the code reads', () => {
    const documented = new Set(variablesNamed(read('docs/configuration.md')));
    const read_ = variablesReadBy(
      root,
      files.filter((file) => RUNTIME_SOURCES.test(file)),
    );
    assert.ok(read_.includes('QG_CONFIG_CACHE_SECONDS') && read_.includes('QG_DYNALITE_PORT'));
    assert.deepEqual(
      read_.filter((name) => !documented.has(name)),
      [],
    );
  });

  it('describes every CLI command and flag in docs/cli.md under its group, and the common flags', () => {
    const page = read('docs/cli.md');
    assert.deepEqual(undocumentedCli(COMMAND_GROUPS, page), []);
    const common = Object.keys(GLOBAL_FLAGS).filter((flag) => !new RegExp(`--${flag}(?![\\w-])`).test(page));
    assert.deepEqual(common, []);
  });

  it('names every source folder in the layer list of docs/architecture.md', () => {
    const block = layersBlock(read('docs/architecture.md'));
    const folders = readdirSync(join(root, 'shared'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `shared/${entry.name}/`);
    assert.deepEqual(unnamedFolders(folders, block), []);
    const handlers = layerEntry(block, 'functions/');
    const functions = readdirSync(join(root, 'functions')).filter(
      (name) => !new RegExp(`\\b${name}\\b`).test(handlers),
    );
    assert.deepEqual(functions, []);
  });
});
