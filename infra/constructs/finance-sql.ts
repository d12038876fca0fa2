/**
 * SQL over the usage exports for finance: a Glue database with one table per export layout, an
 * Athena workgroup whose results land in the export bucket, the saved queries of
 * infra/usage-queries.ts, and a managed policy that lets a finance role run them.
 *
 * - `usage_full_export`: the full export's data lines (`{"Item":{…}}`), read from
 *   `usage/full/AWSDynamoDB/` and its sub-folders (Athena reads a location's sub-folders; the
 *   export id is not known in advance).
 * - `usage_incremental_export`: the incremental exports' lines (`Metadata`, `Keys`, `NewImage`,
 *   `OldImage`), from `usage/incremental/AWSDynamoDB/`.
 *
 * The manifests and checksum files beside the data are not item lines: the JSON SerDe is told to
 * skip malformed JSON, and the views keep only lines with a usage record or aggregate. The column
 * types come from infra/usage-catalog.ts, generated from the usage record's field definition.
 *
 * @example
 * ```ts
 * new FinanceSql(this, 'FinanceSql', { stage: 'prod', bucket: exports.bucket });
 * ```
 */
import { Aws, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { exportPrefixes } from '#shared/store/dynamo/table-exports.ts';
import { CATALOG_TABLES, itemStructType } from '../usage-catalog.ts';
import { USAGE_QUERIES } from '../usage-queries.ts';
import { ATHENA_RESULT_PREFIX, EXPORT_PREFIX } from './usage-exports.ts';

export interface FinanceSqlProps {
  readonly stage: string;
  readonly bucket: Bucket;
}

/** The Glue database of a stage: Glue and Athena names take no hyphen. */
export function financeDatabaseName(stage: string): string {
  return `quotagate_${stage.replaceAll('-', '_')}_usage`;
}

export class FinanceSql extends Construct {
  readonly database: CfnDatabase;
  readonly workGroup: CfnWorkGroup;
  readonly queryPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: FinanceSqlProps) {
    super(scope, id);
    const databaseName = financeDatabaseName(props.stage);
    const prefixes = exportPrefixes(EXPORT_PREFIX);
    const bucketUrl = `s3://${props.bucket.bucketName}`;

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: databaseName,
        description: 'quotagate usage records, read from the DynamoDB exports of the Usage table',
      },
    });
    const item = itemStructType();
    this.table('FullExportTable', CATALOG_TABLES.full, `${bucketUrl}/${prefixes.full}/AWSDynamoDB/`, [
      { name: 'item', type: item, comment: 'One item of the Usage table as DynamoDB JSON' },
    ]);
    this.table(
      'IncrementalExportTable',
      CATALOG_TABLES.incremental,
      `${bucketUrl}/${prefixes.incremental}/AWSDynamoDB/`,
      [
        {
          name: 'metadata',
          type: 'struct<writetimestampmicros:struct<n:string>>',
          comment: 'When the change was written',
        },
        { name: 'keys', type: 'struct<pk:struct<s:string>,sk:struct<s:string>>', comment: "The item's key" },
        { name: 'newimage', type: item, comment: 'The item after the change; absent for a deletion' },
        { name: 'oldimage', type: item, comment: 'The item before the change; absent for an insertion' },
      ],
    );

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: `quotagate-${props.stage}-finance`,
      description: 'Usage and billing queries over the Usage table exports',
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'AUTO' },
        resultConfiguration: {
          outputLocation: `${bucketUrl}/${ATHENA_RESULT_PREFIX}/`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    for (const query of USAGE_QUERIES) {
      const named = new CfnNamedQuery(this, query.id, {
        name: query.name,
        description: query.description,
        database: databaseName,
        workGroup: this.workGroup.ref,
        queryString: query.sql,
      });
      named.addResourceDependency(this.database);
      named.addResourceDependency(this.workGroup);
    }

    this.queryPolicy = this.financePolicy(props, databaseName);
  }

  private table(id: string, name: string, location: string, columns: CfnTable.ColumnProperty[]): void {
    const table = new CfnTable(this, id, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.database.ref,
      tableInput: {
        name,
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'json', compressionType: 'gzip', typeOfData: 'file' },
        storageDescriptor: {
          location,
          columns,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'ignore.malformed.json': 'true', 'case.insensitive': 'true' },
          },
        },
      },
    });
    table.addResourceDependency(this.database);
  }

  /** Run the saved queries in the workgroup: read the catalog and the exports, write results. */
  private financePolicy(props: FinanceSqlProps, databaseName: string): ManagedPolicy {
    const catalog = `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}`;
    const workGroupArn = `arn:${Aws.PARTITION}:athena:${Aws.REGION}:${Aws.ACCOUNT_ID}:workgroup/${this.workGroup.ref}`;
    const policy = new ManagedPolicy(this, 'QueryPolicy', {
      description: `Lets finance run the quotagate ${props.stage} usage queries in Athena`,
      statements: [
        new PolicyStatement({
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
            'athena:GetWorkGroup',
            'athena:ListNamedQueries',
            'athena:GetNamedQuery',
            'athena:BatchGetNamedQuery',
            'athena:ListQueryExecutions',
          ],
          resources: [workGroupArn],
        }),
        new PolicyStatement({
          actions: ['athena:ListWorkGroups', 'athena:ListDataCatalogs'],
          resources: ['*'],
        }),
        new PolicyStatement({
          // CREATE OR REPLACE VIEW writes a table; the views live in this database only.
          actions: [
            'glue:GetDatabase',
            'glue:GetDatabases',
            'glue:GetTable',
            'glue:GetTables',
            'glue:CreateTable',
            'glue:UpdateTable',
          ],
          resources: [
            `${catalog}:catalog`,
            `${catalog}:database/${databaseName}`,
            `${catalog}:table/${databaseName}/*`,
          ],
        }),
        new PolicyStatement({
          actions: ['s3:GetBucketLocation', 's3:ListBucket'],
          resources: [props.bucket.bucketArn],
        }),
        new PolicyStatement({
          actions: ['s3:GetObject'],
          resources: [
            props.bucket.arnForObjects(`${EXPORT_PREFIX}/*`),
            props.bucket.arnForObjects(`${ATHENA_RESULT_PREFIX}/*`),
          ],
        }),
        new PolicyStatement({
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [props.bucket.arnForObjects(`${ATHENA_RESULT_PREFIX}/*`)],
        }),
      ],
    });
    const bucketArn = `<${Stack.of(this).getLogicalId(props.bucket.node.defaultChild as CfnElement)}.Arn>`;
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'athena:ListWorkGroups and athena:ListDataCatalogs have no resource-level permission; the console calls ' +
          'them to show the workgroup, and every query runs only in the finance workgroup.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${databaseName}/*]`,
        reason:
          'The tables of the finance database only: the two export tables and the views the saved queries create, ' +
          'whose names are chosen when the views are made.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${bucketArn}/${EXPORT_PREFIX}/*]`,
        reason:
          'Reading the export files, whose keys DynamoDB chooses (export id, data file names), under the export ' +
          'prefix of the bucket only.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${bucketArn}/${ATHENA_RESULT_PREFIX}/*]`,
        reason:
          "Reading and writing Athena's query results, whose keys Athena chooses (query id), under the result " +
          'prefix of the bucket only.',
      },
    );
    return policy;
  }
}
