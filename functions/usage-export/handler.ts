/**
 * The usage-export Lambda: an EventBridge Scheduler schedule invokes it every hour. Thin by
 * design: `runScheduledExport` (shared/usage/export-schedule.ts) decides whether the Usage table
 * needs its one full export or the next day's incremental export and starts it; this edge reads
 * the destination from the environment and reports two EMF metrics the stack alarms on: how many
 * hours the completed exports are behind, and how many failed exports still wait for their retry.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { requireVariable } from '#shared/settings.ts';
import { DynamoTableExports } from '#shared/store/dynamo/table-exports.ts';
import {
  runScheduledExport,
  USAGE_EXPORT_METRICS,
  USAGE_EXPORT_SERVICE,
} from '#shared/usage/export-schedule.ts';
import { installLazySourceMaps } from '../lazy-source-maps.ts';

// The bundle's traces name the TypeScript sources, the map read at the first trace only.
installLazySourceMaps(import.meta.url);

const logger = new Logger({ serviceName: USAGE_EXPORT_SERVICE });
// Namespace from POWERTOOLS_METRICS_NAMESPACE, which the stack sets.
const metrics = new Metrics({ serviceName: USAGE_EXPORT_SERVICE });
let exports: DynamoTableExports | undefined;

export const handler = middy<unknown, unknown, Error, Context>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async () => {
    exports ??= new DynamoTableExports(new DynamoDBClient({}), {
      tableArn: requireVariable(process.env, 'QG_USAGE_TABLE_ARN'),
      bucket: requireVariable(process.env, 'QG_EXPORT_BUCKET'),
      prefix: requireVariable(process.env, 'QG_EXPORT_PREFIX'),
    });
    const run = await runScheduledExport(exports, Date.now());
    metrics.addMetric(USAGE_EXPORT_METRICS.lagHours, MetricUnit.NoUnit, Number(run.lagHours.toFixed(2)));
    metrics.addMetric(USAGE_EXPORT_METRICS.failures, MetricUnit.Count, run.unresolvedFailures);
    const summary = {
      started: run.start?.type,
      startedArn: run.startedArn,
      coveredUntil: run.coveredUntil === undefined ? undefined : new Date(run.coveredUntil).toISOString(),
      lagHours: run.lagHours,
      unresolvedFailures: run.unresolvedFailures,
    };
    if (run.unresolvedFailures > 0)
      logger.error('A usage export failed; its window is started again', summary);
    else logger.info('Usage export run done', summary);
    return summary;
  });
