import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTableExports } from '#shared/store/dynamo/table-exports.ts';
import { runScheduledExport } from '#shared/usage/export-schedule.ts';

const TABLE = 'arn:aws:dynamodb:eu-west-1:123456789012:table/quotagate-prod-usage';
const BUCKET = 'acme-usage-exports';
const at = (iso: string) => Date.parse(iso) / 1000;

/**
 * A stand-in for DynamoDB's export API (JSON protocol, `X-Amz-Target` names the operation): it
 * answers ListExports in two pages and DescribeExport from `exports`, and records every request,
 * so the adapter is checked through the real SDK's serialisation.
 */
function exportApi(exports: Record<string, Record<string, unknown>>) {
  const requests: { operation: string; body: Record<string, unknown> }[] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      const operation = String(request.headers['x-amz-target']).split('.')[1] ?? '';
      const body = JSON.parse(text) as Record<string, unknown>;
      requests.push({ operation, body });
      const arns = Object.keys(exports);
      let answer: unknown;
      if (operation === 'ListExports') {
        const first = body.NextToken === undefined;
        const page = first ? arns.slice(0, 2) : arns.slice(2);
        answer = {
          ExportSummaries: page.map((ExportArn) => ({ ExportArn })),
          ...(first && arns.length > 2 ? { NextToken: 'page-2' } : {}),
        };
      } else if (operation === 'DescribeExport') {
        answer = { ExportDescription: exports[String(body.ExportArn)] };
      } else {
        answer = { ExportDescription: { ExportArn: `${TABLE}/export/01764806400000-new` } };
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(answer));
    });
  });
  return { server, requests };
}

describe('the Usage table exports through the DynamoDB export API', () => {
  let server: Server;
  let requests: { operation: string; body: Record<string, unknown> }[];
  let client: DynamoDBClient;

  before(async () => {
    const api = exportApi({
      [`${TABLE}/export/full`]: {
        ExportStatus: 'COMPLETED',
        ExportType: 'FULL_EXPORT',
        S3Bucket: BUCKET,
        StartTime: at('2026-12-01T10:05:00Z'),
        ExportTime: at('2026-12-01T10:05:00Z'),
      },
      [`${TABLE}/export/elsewhere`]: {
        ExportStatus: 'COMPLETED',
        ExportType: 'FULL_EXPORT',
        S3Bucket: 'someone-elses-bucket',
        StartTime: at('2026-11-01T00:00:00Z'),
        ExportTime: at('2026-11-01T00:00:00Z'),
      },
      [`${TABLE}/export/day-1`]: {
        ExportStatus: 'COMPLETED',
        ExportType: 'INCREMENTAL_EXPORT',
        S3Bucket: BUCKET,
        StartTime: at('2026-12-02T00:30:00Z'),
        IncrementalExportSpecification: {
          ExportFromTime: at('2026-12-01T10:05:00Z'),
          ExportToTime: at('2026-12-02T00:00:00Z'),
        },
      },
    });
    server = api.server;
    requests = api.requests;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  after(async () => {
    client.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("lists every page, keeps the bucket's exports, and starts the previous UTC day's incremental export", async () => {
    // Act
    const exports = new DynamoTableExports(client, { tableArn: TABLE, bucket: BUCKET, prefix: 'usage' });
    const run = await runScheduledExport(exports, Date.parse('2026-12-03T00:30:00Z'));

    // Assess: both pages listed, the other bucket's export ignored.
    assert.deepEqual(
      requests
        .filter((request) => request.operation === 'ListExports')
        .map((request) => request.body.NextToken),
      [undefined, 'page-2'],
    );
    assert.equal(run.coveredUntil, Date.parse('2026-12-02T00:00:00Z'));
    assert.equal(run.lagHours, 24.5);
    assert.equal(run.startedArn, `${TABLE}/export/01764806400000-new`);
    const start = requests.find((request) => request.operation === 'ExportTableToPointInTime');
    assert.deepEqual(start?.body, {
      TableArn: TABLE,
      S3Bucket: BUCKET,
      S3Prefix: 'usage/incremental',
      S3SseAlgorithm: 'AES256',
      ExportFormat: 'DYNAMODB_JSON',
      ExportType: 'INCREMENTAL_EXPORT',
      ClientToken: 'quotagate-2026-12-02T000000.000Z-2026-12-03T000000.000Z-0',
      IncrementalExportSpecification: {
        ExportFromTime: at('2026-12-02T00:00:00Z'),
        ExportToTime: at('2026-12-03T00:00:00Z'),
        ExportViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
  });
});
