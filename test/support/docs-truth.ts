/**
 * What the docs claim about the code, read from their text, so a test can hold the two together:
 * the source files they name, the `QG_*` variables the code reads, the CLI's commands and flags,
 * and the source folders the architecture's layer list names. Each reader is a pure function of
 * text (and of the repository's file list), so its own test feeds it made-up docs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Folders that are not the project's own sources or docs. */
const NOT_SOURCES = new Set(['node_modules', '.git', '.quotagate', 'cdk.out', 'test-artifacts', 'dist']);

/** Every file of the repository, as `/`-separated paths relative to `root`. */
export function repositoryFiles(root: string, under = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, under), { withFileTypes: true })) {
    if (NOT_SOURCES.has(entry.name)) continue;
    const path = under ? `${under}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...repositoryFiles(root, path));
    else files.push(path);
  }
  return files;
}

/**
 * The TypeScript files a Markdown text names in backticks (`shared/gateway/router.ts`,
 * `sse-relay.ts`, `#shared/admin/users.ts`), aliases resolved. Patterns (`functions/*​/handler.ts`,
 * `<name>.ts`) name no one file and are left out.
 */
export function namedSourceFiles(markdown: string): string[] {
  const names = new Set<string>();
  for (const [, code] of markdown.matchAll(/`([^`\n]+)`/g)) {
    for (const [name] of (code as string).matchAll(/[\w.#/*<>-]*[\w-]\.tsx?\b/g)) {
      if (/[*<>]/.test(name)) continue;
      names.add(name.replace(/^#(shared|local)\//, '$1/').replace(/^\.\//, ''));
    }
  }
  return [...names];
}

/**
 * The named files that do not exist: a path must exist at that path; a bare file name must be the
 * name of some file of the repository.
 */
export function missingSourceFiles(names: string[], files: string[]): string[] {
  const paths = new Set(files);
  const fileNames = new Set(files.map((file) => basename(file)));
  return names.filter((name) => (name.includes('/') ? !paths.has(name) : !fileNames.has(name)));
}

/** Every `QG_*` variable name spelled in a source text. */
export function variablesNamed(source: string): string[] {
  return [...new Set(source.match(/\bQG_[A-Z0-9_]*[A-Z0-9]\b/g) ?? [])];
}

/** The `QG_*` variables read by the given source files of the repository. */
export function variablesReadBy(root: string, files: string[]): string[] {
  const names = new Set<string>();
  for (const file of files) {
    for (const name of variablesNamed(readFileSync(join(root, file), 'utf8'))) names.add(name);
  }
  return [...names].sort();
}

/** The `## heading` sections of a Markdown text, by heading. */
export function sections(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of markdown.split(/^## /m).slice(1)) {
    const heading = part.slice(0, part.indexOf('\n')).trim();
    found.set(heading, part);
  }
  return found;
}

export interface CliGroupShape {
  name: string;
  commands: { name: string; flags: Record<string, unknown> }[];
}

/**
 * What the CLI has that its page does not say, each as `group command --flag` (or `group
 * command`, or `group`): every group needs a `## group` section, and that section must name each
 * of the group's commands as `group command` and each of their flags as `--flag`.
 */
export function undocumentedCli(groups: CliGroupShape[], markdown: string): string[] {
  const bySection = sections(markdown);
  const missing: string[] = [];
  for (const group of groups) {
    const section = bySection.get(group.name);
    if (section === undefined) {
      missing.push(group.name);
      continue;
    }
    for (const command of group.commands) {
      const path = `${group.name} ${command.name}`;
      if (!section.includes(path)) missing.push(path);
      for (const flag of Object.keys(command.flags)) {
        if (!new RegExp(`--${flag}(?![\\w-])`).test(section)) missing.push(`${path} --${flag}`);
      }
    }
  }
  return missing;
}

/** The text of the first fenced block after the `## Layers` heading. */
export function layersBlock(markdown: string): string {
  const layers = sections(markdown).get('Layers') ?? '';
  return layers.split('```')[1] ?? '';
}

/** Folders (given as `shared/x/`) that a layer list does not name. */
export function unnamedFolders(folders: string[], block: string): string[] {
  return folders.filter(
    (folder) => !new RegExp(`(^|[\\s,])${folder.replaceAll('/', '\\/')}(?=[\\s,]|$)`, 'm').test(block),
  );
}

/** One entry of a layer list: the line that starts with `prefix` and the indented lines after it. */
export function layerEntry(block: string, prefix: string): string {
  const lines = block.split('\n');
  const start = lines.findIndex((line) => line.startsWith(prefix));
  if (start < 0) return '';
  const end = lines.findIndex((line, index) => index > start && !/^\s/.test(line));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}
