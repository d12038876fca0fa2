/**
 * Where `quotagate usage from-export` reads an export from: a local folder or an `s3://` prefix,
 * each the place that holds the export's `manifest-summary.json`. The manifests name files by
 * their S3 key from the bucket's root; both locations resolve a key relative to the export's own
 * folder, so an export copied elsewhere (another bucket, a laptop) still reads. An incremental
 * export keeps its data files in `AWSDynamoDB/data/`, beside the export folders: copy the whole
 * `AWSDynamoDB/` folder, not only the export's own.
 *
 * @example
 * ```ts
 * const files = exportFilesAt('s3://acme-exports/usage/incremental/AWSDynamoDB/01700000000000-abcd1234', { region: 'eu-west-1' });
 * ```
 */
import { createReadStream } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type ExportFiles, ExportFormatError } from '#shared/usage/table-export.ts';

export interface S3Options {
  region?: string;
  /** An S3-compatible endpoint (path-style requests), e.g. for a local stand-in. */
  endpoint?: string;
}

/** `key` relative to the export's folder, refused if it climbs above the folder's parent. */
function relativeKey(key: string, exportFolderKey: string, where: string): string {
  const relative = posix.relative(exportFolderKey, key);
  if (relative.startsWith('../../') || posix.isAbsolute(relative)) {
    throw new ExportFormatError(
      `${where}: the manifest names ${key}, outside the export's AWSDynamoDB folder.`,
    );
  }
  return relative;
}

function localExport(folder: string): ExportFiles {
  return {
    name: folder,
    async summary() {
      const path = join(folder, 'manifest-summary.json');
      try {
        return await readFile(path);
      } catch {
        throw new ExportFormatError(
          `${folder} holds no manifest-summary.json; give the folder of one export.`,
        );
      }
    },
    async open(key, exportFolderKey) {
      const path = join(folder, relativeKey(key, exportFolderKey, folder));
      try {
        await access(path);
      } catch {
        throw new ExportFormatError(
          `${folder}: ${path} is missing. Copy the whole AWSDynamoDB folder (incremental exports keep their data in AWSDynamoDB/data/).`,
        );
      }
      return createReadStream(path);
    },
  };
}

function s3Export(url: string, options: S3Options): ExportFiles {
  const match = /^s3:\/\/([^/]+)\/?(.*?)\/?$/.exec(url);
  if (!match) throw new ExportFormatError(`${url} is not an s3://bucket/prefix URL.`);
  const [, bucket, prefix] = match as unknown as [string, string, string];
  const client = new S3Client({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint
      ? {
          endpoint: options.endpoint,
          forcePathStyle: true,
          region: options.region ?? 'local',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
  });
  const get = async (key: string): Promise<Readable> => {
    try {
      const { Body } = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Body as Readable;
    } catch (error) {
      const reason = error instanceof Error ? error.name : 'error';
      throw new ExportFormatError(`s3://${bucket}/${key} could not be read (${reason}).`);
    }
  };
  return {
    name: url,
    close: () => client.destroy(),
    async summary() {
      const chunks: Buffer[] = [];
      for await (const chunk of await get(posix.join(prefix, 'manifest-summary.json'))) {
        chunks.push(Buffer.from(chunk as Buffer));
      }
      return Buffer.concat(chunks);
    },
    open(key, exportFolderKey) {
      return get(posix.normalize(posix.join(prefix, relativeKey(key, exportFolderKey, url))));
    },
  };
}

/** The export at `location`: an `s3://bucket/prefix` URL or a local folder. */
export function exportFilesAt(location: string, s3: S3Options = {}): ExportFiles {
  return location.startsWith('s3://') ? s3Export(location, s3) : localExport(location);
}
