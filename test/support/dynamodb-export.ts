/**
 * Writes DynamoDB table exports of a dynalite table in the layout `ExportTableToPointInTime`
 * writes to S3 (docs: "DynamoDB table export output format"), into a local folder that stands
 * for the bucket's root:
 *
 * - full: `<prefix>/AWSDynamoDB/<ExportId>/{manifest-summary.json, manifest-files.json, *.checksum,
 *   _started, data/<name>.json.gz}`, each data line `{"Item":{…}}` in DynamoDB JSON;
 * - incremental: the manifests in `<prefix>/AWSDynamoDB/<ExportId>/`, the data files in the shared
 *   `<prefix>/AWSDynamoDB/data/`, each line `{"Metadata":{"WriteTimestampMicros":{"N":…}},"Keys":{…},
 *   "NewImage":{…},"OldImage":{…}}` (NEW_AND_OLD_IMAGES; a deletion has no NewImage), one line per
 *   item changed in the window, holding its last state.
 *
 * Items are spread over several data files, one of them empty, as DynamoDB writes one file per
 * partition. The incremental summary's window fields are named as the API names them; readers
 * rely only on `exportType`, `exportTime` and `manifestFilesS3Key`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type AttributeValue, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';

export type RawItem = Record<string, AttributeValue>;

/** The table's items by `pk`/`sk`, in DynamoDB JSON, as a point in time sees them. */
export type TableSnapshot = Map<string, RawItem>;

export interface ExportTarget {
  /** Local folder standing for the bucket's root. */
  root: string;
  bucket: string;
  /** The `S3Prefix` of the export request. */
  prefix: string;
  tableArn: string;
}

const FILES_PER_EXPORT = 3;

export async function snapshotTable(client: DynamoDBClient, tableName: string): Promise<TableSnapshot> {
  const items: TableSnapshot = new Map();
  let start: RawItem | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) items.set(`${item.pk?.S}\u0000${item.sk?.S}`, item);
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

function exportId(at: Date): string {
  return `${String(at.getTime()).padStart(14, '0')}-${randomBytes(4).toString('hex')}`;
}

function md5(body: Buffer, encoding: 'base64' | 'hex'): string {
  return createHash('md5').update(body).digest(encoding);
}

async function put(target: ExportTarget, key: string, body: Buffer | string): Promise<void> {
  const path = join(target.root, key);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, body);
}

/** Writes the data files and both manifests; returns the folder holding manifest-summary.json. */
async function writeExport(
  target: ExportTarget,
  lines: string[],
  summary: Record<string, unknown>,
  at: Date,
  dataFolder: (id: string) => string,
): Promise<string> {
  const id = exportId(at);
  const folder = `${target.prefix}/AWSDynamoDB/${id}`;
  await put(target, `${folder}/_started`, '');
  const manifestLines: string[] = [];
  for (let file = 0; file < FILES_PER_EXPORT; file += 1) {
    // The last file stays empty, like an empty partition's.
    const share = lines.filter((_, index) => index % (FILES_PER_EXPORT - 1) === file);
    const body = gzipSync(share.map((line) => `${line}\n`).join(''));
    const key = `${dataFolder(id)}/${randomBytes(13).toString('hex')}.json.gz`;
    await put(target, key, body);
    manifestLines.push(
      JSON.stringify({
        itemCount: share.length,
        md5Checksum: md5(body, 'base64'),
        etag: `${md5(body, 'hex')}-1`,
        dataFileS3Key: key,
      }),
    );
  }
  const manifestFiles = `${manifestLines.join('\n')}\n`;
  const fullSummary = JSON.stringify({
    version: '2020-06-30',
    exportArn: `${target.tableArn}/export/${id}`,
    startTime: at.toISOString(),
    endTime: new Date(at.getTime() + 300_000).toISOString(),
    tableArn: target.tableArn,
    tableId: '12345a12-abcd-123a-ab12-1234abc12345',
    s3Bucket: target.bucket,
    s3Prefix: target.prefix,
    s3SseAlgorithm: 'AES256',
    s3SseKmsKeyId: null,
    manifestFilesS3Key: `${folder}/manifest-files.json`,
    billedSizeBytes: lines.join('\n').length,
    itemCount: lines.length,
    outputFormat: 'DYNAMODB_JSON',
    ...summary,
  });
  await put(target, `${folder}/manifest-files.json`, manifestFiles);
  await put(target, `${folder}/manifest-files.checksum`, md5(Buffer.from(manifestFiles), 'hex'));
  await put(target, `${folder}/manifest-summary.json`, fullSummary);
  await put(target, `${folder}/manifest-summary.checksum`, md5(Buffer.from(fullSummary), 'hex'));
  return join(target.root, folder);
}

/** A full export of `snapshot` as of `exportTime`. */
export function writeFullExport(
  target: ExportTarget,
  snapshot: TableSnapshot,
  exportTime: Date,
): Promise<string> {
  const lines = [...snapshot.values()].map((item) => JSON.stringify({ Item: item }));
  return writeExport(target, lines, { exportTime: exportTime.toISOString() }, exportTime, (id) => {
    return `${target.prefix}/AWSDynamoDB/${id}/data`;
  });
}

/**
 * An incremental export of what changed between `before` and `after` (the window
 * `[from, to)`), every change written at `writtenAt`.
 */
export function writeIncrementalExport(
  target: ExportTarget,
  before: TableSnapshot,
  after: TableSnapshot,
  window: { from: Date; to: Date; writtenAt: Date },
): Promise<string> {
  const micros = { N: String(window.writtenAt.getTime() * 1000) };
  const lines: string[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(key);
    const current = after.get(key);
    if (JSON.stringify(old) === JSON.stringify(current)) continue;
    const item = (current ?? old) as RawItem;
    lines.push(
      JSON.stringify({
        Metadata: { WriteTimestampMicros: micros },
        Keys: { pk: item.pk, sk: item.sk },
        ...(current ? { NewImage: current } : {}),
        ...(old ? { OldImage: old } : {}),
      }),
    );
  }
  const summary = {
    exportType: 'INCREMENTAL_EXPORT',
    exportFromTime: window.from.toISOString(),
    exportToTime: window.to.toISOString(),
    outputView: 'NEW_AND_OLD_IMAGES',
  };
  return writeExport(target, lines, summary, window.to, () => `${target.prefix}/AWSDynamoDB/data`);
}
