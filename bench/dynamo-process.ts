/**
 * The benchmark's DynamoDB: dynalite with the three tables, in a process of its own so that its
 * CPU (it is a whole database) is not counted as the gateway's. The parent passes the table names
 * in `BENCH_TABLES` (JSON) and gets the endpoint in the `ready` message; `indexWrites` answers
 * the index write units DynamoDB would have billed so far (index-writes.ts).
 */
import { ensureTables, startDynalite } from '#local/dynalite.ts';
import type { TableNames } from '#shared/tables/definitions.ts';
import { countIndexWrites } from './index-writes.ts';
import { answerParent } from './ipc.ts';

const tables = JSON.parse(process.env.BENCH_TABLES ?? '') as TableNames;
const indexWrites = countIndexWrites();
const dynamo = await startDynalite({ port: 0 });
await ensureTables(dynamo.endpoint, tables);
answerParent(
  { indexWrites: () => indexWrites.units(), indexWritesByIndex: () => indexWrites.byIndex() },
  { endpoint: dynamo.endpoint },
  () => dynamo.close(),
);
