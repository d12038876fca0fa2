/**
 * The project's import graph, read statically from the sources, so tests can hold the layering
 * rules of docs/architecture.md (storage interfaces in `shared/store/`, implementations only in
 * `shared/store/dynamo/`, no cycle between folders that must stay apart, none between modules).
 * Type-only imports count: a cycle of types still ties two modules (or folders) together. Package imports are left out; `#shared/*` and
 * `#local/*` resolve as package.json's `imports` map says.
 *
 * @example
 * ```ts
 * const graph = importGraph(repoRoot, ['shared']);
 * folderCycles(graph); // [['shared/a', 'shared/b']] when a and b import each other
 * fileCycles(graph); // [['shared/a/x.ts', 'shared/a/y.ts']] when x.ts and y.ts import each other
 * ```
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Repository-relative module path → the repository-relative modules it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

const ALIASES: Record<string, string> = { '#shared/': 'shared/', '#local/': 'local/' };

function sourcesUnder(root: string, folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

function resolved(from: string, specifier: string): string | undefined {
  for (const [alias, target] of Object.entries(ALIASES)) {
    if (specifier.startsWith(alias)) return target + specifier.slice(alias.length);
  }
  if (!specifier.startsWith('.')) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
}

/** Every `.ts` module under `folders` (relative to `root`) with the project modules it imports. */
export function importGraph(root: string, folders: readonly string[]): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const file of folders.flatMap((folder) => sourcesUnder(root, folder))) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    const targets = importedFiles
      .map((imported) => resolved(file, imported.fileName))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The imports of modules under `fromFolder` that reach into `toFolder`, as `from → to` lines. */
export function importsInto(graph: ImportGraph, fromFolder: string, toFolder: string): string[] {
  const inside = (file: string, folder: string) => file.startsWith(`${folder}/`);
  return [...graph]
    .filter(([from]) => inside(from, fromFolder))
    .flatMap(([from, targets]) =>
      targets.filter((to) => inside(to, toFolder)).map((to) => `${from} → ${to}`),
    );
}

/**
 * The strongly connected components of a directed graph with more than one member (or one that
 * points at itself), each sorted, found with Tarjan's algorithm: the groups of nodes that reach
 * each other.
 */
function stronglyConnected(edges: ReadonlyMap<string, Iterable<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfLoop = [...(edges.get(node) ?? [])].includes(node);
    if (component.length > 1 || selfLoop) components.push(component.sort());
  };
  for (const node of edges.keys()) if (!index.has(node)) visit(node);
  return components;
}

/**
 * The folders that import each other, directly or through other folders: the strongly connected
 * components of the folder graph (a module's folder is its directory) with more than one folder.
 */
export function folderCycles(graph: ImportGraph): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    const source = path.posix.dirname(from);
    const out = edges.get(source) ?? new Set<string>();
    edges.set(source, out);
    for (const to of targets) if (path.posix.dirname(to) !== source) out.add(path.posix.dirname(to));
  }
  return stronglyConnected(edges);
}

/**
 * The modules that import each other, directly or through other modules (type-only imports
 * included): each group is one strongly connected component of the module graph, sorted.
 */
export function fileCycles(graph: ImportGraph): string[][] {
  return stronglyConnected(graph);
}
