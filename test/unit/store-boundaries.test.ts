import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  fileCycles,
  folderCycles,
  type ImportGraph,
  importGraph,
  importsInto,
} from '../support/import-graph.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the import graph reader', () => {
  // a → b → c → a is one cycle of three folders; d only imports into it and stays outside.
  const made: ImportGraph = new Map([
    ['x/a/one.ts', ['x/b/two.ts']],
    ['x/b/two.ts', ['x/c/three.ts']],
    ['x/c/three.ts', ['x/a/other.ts']],
    ['x/a/other.ts', []],
    ['x/d/four.ts', ['x/a/one.ts', 'x/d/five.ts']],
    ['x/d/five.ts', []],
  ]);

  it('finds the folders that import each other through other folders', () => {
    assert.deepEqual(folderCycles(made), [['x/a', 'x/b', 'x/c']]);
  });

  it('finds the modules that import each other, a module that imports itself included', () => {
    // one → two → three → one is a cycle; four only imports into it; five imports itself.
    const modules: ImportGraph = new Map([
      ['m/one.ts', ['m/two.ts']],
      ['m/two.ts', ['m/three.ts']],
      ['m/three.ts', ['m/one.ts']],
      ['m/four.ts', ['m/one.ts']],
      ['m/five.ts', ['m/five.ts']],
    ]);
    const found = fileCycles(modules).sort((left, right) => String(left[0]).localeCompare(String(right[0])));
    assert.deepEqual(found, [['m/five.ts'], ['m/one.ts', 'm/three.ts', 'm/two.ts']]);
    assert.deepEqual(fileCycles(made), []);
  });

  it('lists the imports from one folder into another', () => {
    assert.deepEqual(importsInto(made, 'x/d', 'x/a'), ['x/d/four.ts → x/a/one.ts']);
    assert.deepEqual(importsInto(made, 'x/a', 'x/d'), []);
  });

  it('reads type-only imports and the #shared alias from the sources', () => {
    const functions = importGraph(root, ['functions']);
    assert.ok(functions.get('functions/admin/handler.ts')?.includes('shared/admin-api/create-deps.ts'));
    const shared = importGraph(root, ['shared']);
    assert.ok(shared.get('shared/store/dynamo/slot-store.ts')?.includes('shared/store/slots.ts'));
  });
});

describe('where storage interfaces and their DynamoDB implementations live', () => {
  const graph = importGraph(root, ['shared']);

  it('keeps shared/concurrency/ and shared/store/dynamo/ out of one import cycle', () => {
    const tied = folderCycles(graph).filter(
      (cycle) => cycle.includes('shared/concurrency') && cycle.includes('shared/store/dynamo'),
    );
    assert.deepEqual(tied, []);
  });

  it('lets the admin API reach DynamoDB only through its wiring, create-deps.ts', () => {
    const direct = importsInto(graph, 'shared/admin-api', 'shared/store/dynamo').filter(
      (line) => !line.startsWith('shared/admin-api/create-deps.ts '),
    );
    assert.deepEqual(direct, []);
  });

  it('gives the usage-event publisher interfaces, never a DynamoDB module', () => {
    assert.deepEqual(importsInto(graph, 'shared/events', 'shared/store/dynamo'), []);
  });

  it('keeps the interface modules of shared/store/ free of DynamoDB implementations', () => {
    const fromInterfaces = importsInto(graph, 'shared/store', 'shared/store/dynamo').filter(
      (line) => !line.startsWith('shared/store/dynamo/'),
    );
    assert.deepEqual(fromInterfaces, []);
  });
});

describe('module import cycles', () => {
  // A cycle makes load order matter and ties modules that should change apart; a type both sides
  // need goes into its own small module instead (see shared/gateway/attempt.ts).
  it('keeps shared/, functions/ and local/ free of modules that import each other', () => {
    assert.deepEqual(fileCycles(importGraph(root, ['shared', 'functions', 'local'])), []);
  });
});
