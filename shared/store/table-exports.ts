/**
 * The exports of the Usage table to the stack's bucket (DynamoDB's export to S3), as the
 * scheduled export run (`shared/usage/export-schedule.ts`) lists and starts them. The DynamoDB
 * implementation is `shared/store/dynamo/table-exports.ts`.
 *
 * @example
 * ```ts
 * const arn = await exports.start({ type: 'FULL_EXPORT', clientToken: 'full-1' });
 * (await exports.list()).find((info) => info.arn === arn)?.status; // 'IN_PROGRESS'
 * ```
 */

export type ExportStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** One export of the Usage table to the stack's bucket. Times in epoch ms. */
export interface ExportInfo {
  arn: string;
  status: ExportStatus;
  type: 'FULL_EXPORT' | 'INCREMENTAL_EXPORT';
  /** When it was requested. */
  startTime: number;
  /** A full export's point in time. */
  exportTime?: number;
  /** An incremental export's window, `[from, to)`. */
  from?: number;
  to?: number;
}

export type ExportRequest =
  | { type: 'FULL_EXPORT'; clientToken: string }
  | { type: 'INCREMENTAL_EXPORT'; from: number; to: number; clientToken: string };

/** The Usage table's exports to the stack's bucket, as the scheduled run needs them. */
export interface TableExports {
  list(): Promise<ExportInfo[]>;
  /** Starts the export; returns its ARN. */
  start(request: ExportRequest): Promise<string>;
}
