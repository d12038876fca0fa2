/**
 * {@link TableExports} through DynamoDB's export API: `ListExports`
 * (every export of the table, all pages), `DescribeExport` (bucket, times, window of each) and
 * `ExportTableToPointInTime`. Exports to other buckets (someone's manual export) are left out, so
 * they neither count as coverage nor stop the stack from making its own.
 *
 * Exports are written with S3-managed encryption (`AES256`) under `<prefix>/full/` and
 * `<prefix>/incremental/`, in DynamoDB JSON; incrementals carry new and old images.
 *
 * @example
 * ```ts
 * const exports = new DynamoTableExports(new DynamoDBClient({}), { tableArn, bucket, prefix: 'usage' });
 * const plan = planExports(await exports.list(), Date.now());
 * ```
 */
import {
  DescribeExportCommand,
  type DynamoDBClient,
  ExportTableToPointInTimeCommand,
  ListExportsCommand,
} from '@aws-sdk/client-dynamodb';
import type { ExportInfo, ExportRequest, ExportStatus, TableExports } from '../table-exports.ts';

export interface ExportDestination {
  tableArn: string;
  bucket: string;
  /** Key prefix in the bucket, without a trailing slash. */
  prefix: string;
}

/** The S3 prefixes of the two kinds of export; the Glue tables read the same ones. */
export function exportPrefixes(prefix: string): { full: string; incremental: string } {
  return { full: `${prefix}/full`, incremental: `${prefix}/incremental` };
}

export class DynamoTableExports implements TableExports {
  readonly #client: DynamoDBClient;
  readonly #destination: ExportDestination;

  constructor(client: DynamoDBClient, destination: ExportDestination) {
    this.#client = client;
    this.#destination = destination;
  }

  /** The table's exports to this destination's bucket. */
  async list(): Promise<ExportInfo[]> {
    const arns: string[] = [];
    let next: string | undefined;
    do {
      const page = await this.#client.send(
        new ListExportsCommand({ TableArn: this.#destination.tableArn, MaxResults: 25, NextToken: next }),
      );
      for (const summary of page.ExportSummaries ?? []) if (summary.ExportArn) arns.push(summary.ExportArn);
      next = page.NextToken;
    } while (next);
    const found: ExportInfo[] = [];
    for (const arn of arns) {
      const { ExportDescription: description } = await this.#client.send(
        new DescribeExportCommand({ ExportArn: arn }),
      );
      if (!description || description.S3Bucket !== this.#destination.bucket) continue;
      const window = description.IncrementalExportSpecification;
      found.push({
        arn,
        status: (description.ExportStatus ?? 'IN_PROGRESS') as ExportStatus,
        type: description.ExportType === 'INCREMENTAL_EXPORT' ? 'INCREMENTAL_EXPORT' : 'FULL_EXPORT',
        startTime: description.StartTime?.getTime() ?? 0,
        ...(description.ExportTime ? { exportTime: description.ExportTime.getTime() } : {}),
        ...(window?.ExportFromTime ? { from: window.ExportFromTime.getTime() } : {}),
        ...(window?.ExportToTime ? { to: window.ExportToTime.getTime() } : {}),
      });
    }
    return found;
  }

  /** Starts the export; returns its ARN. */
  async start(request: ExportRequest): Promise<string> {
    const prefixes = exportPrefixes(this.#destination.prefix);
    const { ExportDescription: description } = await this.#client.send(
      new ExportTableToPointInTimeCommand({
        TableArn: this.#destination.tableArn,
        S3Bucket: this.#destination.bucket,
        S3SseAlgorithm: 'AES256',
        ExportFormat: 'DYNAMODB_JSON',
        ClientToken: request.clientToken,
        ...(request.type === 'FULL_EXPORT'
          ? { ExportType: 'FULL_EXPORT', S3Prefix: prefixes.full }
          : {
              ExportType: 'INCREMENTAL_EXPORT',
              S3Prefix: prefixes.incremental,
              IncrementalExportSpecification: {
                ExportFromTime: new Date(request.from),
                ExportToTime: new Date(request.to),
                ExportViewType: 'NEW_AND_OLD_IMAGES',
              },
            }),
      }),
    );
    return description?.ExportArn ?? '';
  }
}
