/**
 * Reads a DynamoDB table export (`ExportTableToPointInTime`, format `DYNAMODB_JSON`) in the layout
 * DynamoDB writes to S3:
 *
 * ```
 * <prefix>/AWSDynamoDB/<ExportId>/manifest-summary.json   one JSON object: exportTime, exportType, manifestFilesS3Key, …
 * <prefix>/AWSDynamoDB/<ExportId>/manifest-files.json     JSON Lines: { itemCount, md5Checksum, etag, dataFileS3Key }
 * <prefix>/AWSDynamoDB/<ExportId>/data/*.json.gz          full export: one {"Item":{…}} per line
 * <prefix>/AWSDynamoDB/data/*.json.gz                     incremental export: one
 *                                                         {"Metadata":{"WriteTimestampMicros":…},"Keys":{…},"NewImage":{…},"OldImage":{…}} per line
 * ```
 *
 * Keys in the manifests are S3 keys from the bucket's root; {@link ExportFiles} resolves them
 * wherever the export was copied to (an S3 prefix, a local folder). A data file whose line count
 * differs from its `itemCount` is refused, so a truncated copy cannot silently drop records.
 *
 * @example
 * ```ts
 * const table = await openTableExport(files);
 * for await (const line of table.lines()) fold.add(table, line);
 * ```
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type DynamoItem = Record<string, AttributeValue>;

/** Where one export's files are: the folder (or S3 prefix) that holds `manifest-summary.json`. */
export interface ExportFiles {
  /** How a person would name it in a message (the folder or `s3://` URL). */
  readonly name: string;
  /** `manifest-summary.json`'s bytes. */
  summary(): Promise<Buffer>;
  /**
   * A file named by its S3 key in the manifests. `exportFolderKey` is the S3 key of the folder
   * that holds `manifest-summary.json`, so a copy elsewhere can resolve `key` relative to it.
   */
  open(key: string, exportFolderKey: string): Promise<Readable>;
  /** Frees connections, if the location holds any. */
  close?(): void;
}

/** The fields of `manifest-summary.json` this reader relies on. */
export interface ExportSummary {
  exportArn?: string;
  /** `INCREMENTAL_EXPORT` for incremental exports; absent (or `FULL_EXPORT`) for full ones. */
  exportType?: string;
  /** A full export's point in time (ISO). */
  exportTime?: string;
  manifestFilesS3Key: string;
  outputFormat?: string;
  itemCount?: number;
}

/** One line of a data file. */
export type ExportLine =
  | { kind: 'item'; item: DynamoItem }
  | { kind: 'change'; keys: DynamoItem; newImage?: DynamoItem; writtenMicros: bigint };

export interface TableExport {
  readonly name: string;
  readonly type: 'full' | 'incremental';
  /** A full export's point in time in epoch microseconds; `undefined` for an incremental one. */
  readonly exportMicros: bigint | undefined;
  readonly summary: ExportSummary;
  lines(): AsyncGenerator<ExportLine>;
}

/** An export that cannot be read as DynamoDB wrote it; the message says which and why. */
export class ExportFormatError extends Error {
  override name = 'ExportFormatError';
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ExportFormatError(`${where} is not valid JSON.`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `WriteTimestampMicros` as DynamoDB JSON (`{"N":"…"}`) or a bare number. */
function micros(value: unknown, where: string): bigint {
  const text = isObject(value) ? value.N : value;
  if ((typeof text === 'string' || typeof text === 'number') && /^\d+$/.test(String(text))) {
    return BigInt(text);
  }
  throw new ExportFormatError(`${where}: Metadata.WriteTimestampMicros is missing or not a number.`);
}

function exportLine(text: string, where: string): ExportLine {
  const line = parseJson(text, where);
  if (isObject(line) && isObject(line.Item)) return { kind: 'item', item: line.Item as DynamoItem };
  if (isObject(line) && isObject(line.Keys) && isObject(line.Metadata)) {
    return {
      kind: 'change',
      keys: line.Keys as DynamoItem,
      ...(isObject(line.NewImage) ? { newImage: line.NewImage as DynamoItem } : {}),
      writtenMicros: micros(line.Metadata.WriteTimestampMicros, where),
    };
  }
  throw new ExportFormatError(`${where} holds neither an Item nor Keys and Metadata.`);
}

async function* textLines(stream: Readable): AsyncGenerator<string> {
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line.trim() !== '') yield line;
  }
}

/** Reads `manifest-summary.json` and returns the export, ready to stream its lines. */
export async function openTableExport(files: ExportFiles): Promise<TableExport> {
  const where = `${files.name}: manifest-summary.json`;
  const raw = parseJson((await files.summary()).toString('utf8'), where);
  if (!isObject(raw) || typeof raw.manifestFilesS3Key !== 'string') {
    throw new ExportFormatError(`${where} has no manifestFilesS3Key; is this a DynamoDB export folder?`);
  }
  const summary = raw as unknown as ExportSummary;
  if (summary.outputFormat !== undefined && summary.outputFormat !== 'DYNAMODB_JSON') {
    throw new ExportFormatError(
      `${where}: outputFormat is ${summary.outputFormat}; only DYNAMODB_JSON is read.`,
    );
  }
  const type = summary.exportType === 'INCREMENTAL_EXPORT' ? 'incremental' : 'full';
  let exportMicros: bigint | undefined;
  if (type === 'full') {
    const ms = Date.parse(summary.exportTime ?? '');
    if (Number.isNaN(ms)) throw new ExportFormatError(`${where}: a full export needs its exportTime.`);
    exportMicros = BigInt(ms) * 1000n;
  }
  const folderKey = summary.manifestFilesS3Key.split('/').slice(0, -1).join('/');
  return {
    name: files.name,
    type,
    exportMicros,
    summary,
    async *lines() {
      const manifest = await files.open(summary.manifestFilesS3Key, folderKey);
      for await (const entryText of textLines(manifest)) {
        const entry = parseJson(entryText, `${files.name}: manifest-files.json`);
        if (!isObject(entry) || typeof entry.dataFileS3Key !== 'string') {
          throw new ExportFormatError(`${files.name}: a manifest-files.json line has no dataFileS3Key.`);
        }
        const key = entry.dataFileS3Key;
        const data = (await files.open(key, folderKey)).pipe(createGunzip());
        let count = 0;
        for await (const text of textLines(data)) {
          count += 1;
          yield exportLine(text, `${files.name}: ${key} line ${count}`);
        }
        if (typeof entry.itemCount === 'number' && entry.itemCount !== count) {
          throw new ExportFormatError(
            `${files.name}: ${key} holds ${count} item(s) but the manifest says ${entry.itemCount}; the copy is incomplete.`,
          );
        }
      }
    },
  };
}
