/**
 * Stack traces that name the TypeScript sources, with the source map read only when a trace is
 * first formatted. Node's `--enable-source-maps` reads and decodes the gateway's map (about
 * 850 KB) as it loads the bundle, about 14 ms of a cold start's CPU (docs/benchmarks.md) paid by
 * every instance for traces almost none formats. So the gateway runs without that flag
 * (`GATEWAY_NODE_OPTIONS`) and its entry installs this: V8 hands each trace's frames to
 * `Error.prepareStackTrace`, and a frame of the bundle is written with the position the map gives
 * (`node:module`'s SourceMap), every other frame as V8 writes it.
 *
 * @example
 * ```ts
 * installLazySourceMaps(import.meta.url); // first thing in the bundle's entry
 * ```
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Installs the formatter for the bundle at `bundleUrl` (its map is `<bundle>.map`), unless Node
 * maps traces itself (`--enable-source-maps`). A trace with no frame of the bundle is left to the
 * formatter installed before (Node's own).
 */
export function installLazySourceMaps(bundleUrl: string): void {
  if (process.sourceMapsEnabled) return;
  const previous = Error.prepareStackTrace;
  let map: SourceMap | null | undefined;
  const mapOf = (): SourceMap | null => {
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(bundleUrl)}.map`, 'utf8')));
      } catch {
        // No map beside the bundle (or an unreadable one): frames stay as V8 writes them.
        map = null;
      }
    }
    return map;
  };
  Error.prepareStackTrace = (error, frames) => {
    if (previous && !frames.some((frame) => frame.getFileName() === bundleUrl))
      return previous(error, frames);
    let header: string;
    try {
      header = Error.prototype.toString.call(error);
    } catch {
      header = 'Error';
    }
    return (
      header +
      frames.map((frame, i) => `\n    at ${frameText(frame, frames[i + 1], bundleUrl, mapOf)}`).join('')
    );
  };
}

/** The original name at a generated position of the bundle, if the map has one there. */
function nameAt(map: SourceMap, line: number | null, column: number | null): string | undefined {
  if (line === null || column === null) return undefined;
  return (map.findEntry(line - 1, column - 1) as { name?: string }).name;
}

/**
 * One frame as Node writes a mapped one: the source's path (the map names it relative to itself)
 * and the original name of the enclosing function, else the name the caller called it by.
 */
function frameText(
  frame: NodeJS.CallSite,
  caller: NodeJS.CallSite | undefined,
  bundleUrl: string,
  mapOf: () => SourceMap | null,
): string {
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (frame.getFileName() !== bundleUrl || line === null || column === null) return frame.toString();
  const map = mapOf();
  const entry = map?.findEntry(line - 1, column - 1);
  if (!map || !entry || !('originalSource' in entry)) return frame.toString();
  const source = fileURLToPath(new URL(entry.originalSource, bundleUrl));
  const location = `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  const name =
    nameAt(map, frame.getEnclosingLineNumber(), frame.getEnclosingColumnNumber()) ??
    (caller?.getFileName() === bundleUrl
      ? nameAt(map, caller.getLineNumber(), caller.getColumnNumber())
      : undefined) ??
    '<anonymous>';
  return `${frame.isAsync() ? 'async ' : ''}${name} (${location})`;
}
