/**
 * The three DynamoDB tables, built from shared/tables/definitions.ts, the same definitions the
 * local stack creates its dynalite tables from. `Table` (`AWS::DynamoDB::Table`), not `TableV2`
 * (`AWS::DynamoDB::GlobalTable`): switching between the two replaces the table, so the choice is
 * made once, here.
 *
 * @example
 * ```ts
 * const tables = new QuotagateTables(this, 'Tables', { stage: 'prod' });
 * tables.byId.usage.tableName; // 'quotagate-prod-usage'
 * ```
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  LEGACY_LISTING_INDEX,
  TABLES,
  type TableDefinition,
  type TableId,
  tableNamesForStage,
} from '#shared/tables/definitions.ts';

export interface QuotagateTablesProps {
  readonly stage: string;
  /**
   * Also keep the Config table's old `gsi1` (projection ALL, credentials included): CloudFormation
   * creates or deletes one index per table per update, so a deployment made before `listing`
   * adds `listing` with this on, then drops `gsi1` with it off (docs/deploy.md). Off by default:
   * a new deployment never has it.
   */
  readonly keepLegacyConfigIndex?: boolean;
  /**
   * Also keep the Usage table's old `gsi1` (projection ALL, rewritten at every write of a record
   * or an aggregate) beside its `listing`: the first deploy of the same two-step upgrade, for the
   * Usage table. Both flags may be on together (each table adds its one index).
   */
  readonly keepLegacyUsageIndex?: boolean;
}

export class QuotagateTables extends Construct {
  readonly byId: Readonly<Record<TableId, Table>>;

  constructor(scope: Construct, id: string, props: QuotagateTablesProps) {
    super(scope, id);
    const names = tableNamesForStage(props.stage);
    this.byId = {
      config: buildTable(
        this,
        'Config',
        withLegacy(TABLES.config, props.keepLegacyConfigIndex),
        names.config,
      ),
      state: buildTable(this, 'State', TABLES.state, names.state),
      usage: buildTable(this, 'Usage', withLegacy(TABLES.usage, props.keepLegacyUsageIndex), names.usage),
    };
    Validations.of(this.byId.state).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'State holds only slot leases, wait tickets and sticky sessions that expire within minutes to an hour. ' +
        'A restore would bring back stale leases, never data worth having; Config and Usage, which hold users ' +
        'and money, have point-in-time recovery on.',
    });
  }
}

/** The table with the old `gsi1` beside its indexes while the upgrade's first step keeps it. */
function withLegacy(definition: TableDefinition, keep: boolean | undefined): TableDefinition {
  return keep ? { ...definition, indexes: [...definition.indexes, LEGACY_LISTING_INDEX] } : definition;
}

function buildTable(scope: Construct, id: string, definition: TableDefinition, tableName: string): Table {
  const table = new Table(scope, id, {
    tableName,
    partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
    sortKey: { name: definition.sortKey, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    ...(definition.ttlAttribute ? { timeToLiveAttribute: definition.ttlAttribute } : {}),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: definition.pointInTimeRecovery },
    // A retained table holds money or users: it survives `cdk destroy` and refuses deletion.
    deletionProtection: definition.retain,
    removalPolicy: definition.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  for (const index of definition.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.name,
      partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
      sortKey: { name: index.sortKey, type: AttributeType.STRING },
      ...(index.projection === 'ALL'
        ? { projectionType: ProjectionType.ALL }
        : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection.include] }),
    });
  }
  return table;
}
