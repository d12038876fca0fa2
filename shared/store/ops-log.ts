/**
 * Where ops error records are kept and how they are read back: by time range, newest first,
 * optionally narrowed to a status (or status class), an error type, a user, a key or an account.
 * The DynamoDB implementation is `shared/store/dynamo/ops-error-log.ts` (State table, 30-day TTL).
 *
 * @example
 * ```ts
 * const page = await log.query({ fromMs: Date.now() - 3_600_000, toMs: Date.now(), limit: 50 });
 * page.records[0]?.message;
 * ```
 */
import type { StoredOpsRecord } from '../ops/ops-record.ts';

/** An exact status (`429`) or a class (`5xx` is 500–599), inclusive bounds. */
export interface StatusFilter {
  min: number;
  max: number;
}

export interface OpsQuery {
  /** Epoch ms, inclusive. */
  fromMs: number;
  /** Epoch ms, exclusive. */
  toMs: number;
  status?: StatusFilter;
  errorType?: string;
  userId?: string;
  apiKeyId?: string;
  accountId?: string;
  /** Most records returned, newest first. */
  limit: number;
  /** From a previous page's `nextCursor`: only records older than it. */
  cursor?: string;
}

export interface OpsPage {
  records: StoredOpsRecord[];
  /** Present when more records may match: pass it as `cursor` to read on. */
  nextCursor?: string;
}

export interface OpsErrorLog {
  /** Stores a record (already redacted); writing the same request's record twice keeps one. */
  write(record: StoredOpsRecord): Promise<void>;
  query(query: OpsQuery): Promise<OpsPage>;
}
