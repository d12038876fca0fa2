/**
 * The gateway's side of the ops log: `recordError` turns what the request flow knows about a
 * failed request into a redacted {@link StoredOpsRecord} and writes it to the State table.
 *
 * It never rejects: an ops record is a diagnostic, and a failure to write one must not turn
 * into a second failure of the request. When the write fails, the (already redacted) record goes
 * to the log at error level instead, so the error is still findable by its request id.
 *
 * @example
 * ```ts
 * const ops = createOpsRecorder({ client: documentClient(), tables: settings.tables, logger });
 * await ops.recordError({ requestId, at: request.receivedAt, route: '/v1/responses', method: 'POST',
 *   status: 429, errorType: 'rate_limit_error', message: error.message, userId, latencyMs });
 * ```
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DocumentClient } from '../store/dynamo/document-client.ts';
import { DynamoOpsErrorLog } from '../store/dynamo/ops-error-log.ts';
import type { OpsErrorLog } from '../store/ops-log.ts';
import type { TableNames } from '../tables/definitions.ts';
import { type OpsRecord, toStoredOpsRecord } from './ops-record.ts';

export interface OpsRecorder {
  /** Writes the record (redacted, expiring in 30 days); resolves even when the write fails. */
  recordError(record: OpsRecord): Promise<void>;
}

export interface OpsRecorderOptions {
  client: DocumentClient;
  tables: Pick<TableNames, 'state'>;
  logger: Pick<Logger, 'error'>;
}

export function createOpsRecorder(options: OpsRecorderOptions): OpsRecorder {
  const log: OpsErrorLog = new DynamoOpsErrorLog(options.client, options.tables.state);
  return {
    async recordError(record) {
      let stored: ReturnType<typeof toStoredOpsRecord> | undefined;
      try {
        stored = toStoredOpsRecord(record);
        await log.write(stored);
      } catch (error) {
        options.logger.error('ops record not written', {
          requestId: stored?.requestId,
          opsRecord: stored,
          cause: error instanceof Error ? error.name : 'unknown',
        });
      }
    },
  };
}
