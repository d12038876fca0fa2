/**
 * Where the CLI reads and writes: by default the running local stack (dynalite on
 * 127.0.0.1:8788, tables `quotagate-local-*`), or DynamoDB in an AWS region when given a region
 * and either a stage or table names. The choice is made from flags first, then environment.
 *
 * | input                                   | effect                                        |
 * | --------------------------------------- | --------------------------------------------- |
 * | `--endpoint` / `DYNAMODB_ENDPOINT`      | that endpoint, local credentials              |
 * | `QG_DYNALITE_PORT`                      | the local endpoint on that port               |
 * | `--region` / `AWS_REGION` + stage/table | real AWS, default credential chain            |
 * | `--stage` / `QG_STAGE`                  | tables `quotagate-<stage>-*`                  |
 * | `--config-table` / `QG_CONFIG_TABLE` …  | that table name, overriding the stage's       |
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { secretsKeyAlias } from '#shared/secrets/default-sealer.ts';
import { useSdkCredentialChain } from '#shared/secrets/sdk-credential-chain.ts';
import { DOCUMENT_TRANSLATION } from '#shared/store/dynamo/item-forms.ts';
import { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { type TableNames, tableNamesForStage } from '#shared/tables/definitions.ts';
import { UsageError } from './command.ts';
import type { FlagValues } from './flags.ts';

export const DEFAULT_LOCAL_PORT = 8788;

export interface Target {
  /** Set for a local (or explicitly given) endpoint; absent means AWS's regional endpoint. */
  endpoint: string | undefined;
  region: string;
  tables: TableNames;
  /**
   * AWS targets: the KMS key that seals account credentials on write (`QG_SECRETS_KEY_ID`, else
   * the stage's alias); absent when neither says. Local targets use the local key file.
   */
  secretsKeyId?: string;
}

type Env = Record<string, string | undefined>;

function flagText(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function resolveTarget(values: FlagValues, env: Env): Target {
  const regionFlag = flagText(values, 'region');
  const stage = flagText(values, 'stage') ?? (env.QG_STAGE || undefined);
  const explicitTables = {
    config: flagText(values, 'config-table') ?? (env.QG_CONFIG_TABLE || undefined),
    state: flagText(values, 'state-table') ?? (env.QG_STATE_TABLE || undefined),
    usage: flagText(values, 'usage-table') ?? (env.QG_USAGE_TABLE || undefined),
  };
  const base = tableNamesForStage(stage ?? 'local');
  const tables: TableNames = {
    config: explicitTables.config ?? base.config,
    state: explicitTables.state ?? base.state,
    usage: explicitTables.usage ?? base.usage,
  };
  const namesTables = stage !== undefined || explicitTables.config !== undefined;
  if (regionFlag && !namesTables) {
    throw new UsageError(
      '--region needs --stage <stage> or --config-table <name> to know which tables to use.',
    );
  }
  const endpoint = flagText(values, 'endpoint') ?? (env.DYNAMODB_ENDPOINT || undefined);
  const region = regionFlag ?? (env.AWS_REGION || undefined);
  if (endpoint) return { endpoint, region: region ?? 'local', tables };
  if (region && namesTables && stage !== 'local') {
    const secretsKeyId = env.QG_SECRETS_KEY_ID || (stage ? secretsKeyAlias(stage) : undefined);
    return { endpoint: undefined, region, tables, ...(secretsKeyId ? { secretsKeyId } : {}) };
  }
  const port = env.QG_DYNALITE_PORT || String(DEFAULT_LOCAL_PORT);
  if (!/^\d{1,5}$/.test(port)) throw new UsageError(`QG_DYNALITE_PORT must be a port number, got "${port}".`);
  return { endpoint: `http://127.0.0.1:${port}`, region: 'local', tables };
}

/** Human words for the target, used in connection errors. */
export function describeTarget(target: Target): string {
  return target.endpoint ? `the local stack at ${target.endpoint}` : `DynamoDB in ${target.region}`;
}

/**
 * A document client for the target. A local endpoint gets dummy credentials (dynalite ignores
 * them) and a single retry, so a stopped stack is reported at once rather than after back-off.
 * Credentials for sealing with KMS come from the SDK's chain too, as the client's own do.
 */
export function createTargetClient(target: Target): SdkDocumentClient {
  useSdkCredentialChain();
  const base = target.endpoint
    ? new DynamoDBClient({
        endpoint: target.endpoint,
        region: target.region,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 2,
      })
    : new DynamoDBClient({ region: target.region });
  return new SdkDocumentClient(DynamoDBDocumentClient.from(base, DOCUMENT_TRANSLATION));
}

/**
 * The admin HTTP API to use instead of the tables, when asked: `--api <url>` (or env
 * `QG_ADMIN_API_URL` when no table flag is given), with `--admin-token` / `QG_ADMIN_TOKEN` for
 * the local admin server, or none for the deployed one (requests are then SigV4-signed).
 * `undefined` means "use the tables". Table flags and `--api` together are refused.
 */
export function resolveApiTarget(
  values: FlagValues,
  env: Env,
): { url: string; token?: string; region?: string } | undefined {
  const tableFlags = ['endpoint', 'stage', 'config-table', 'state-table', 'usage-table'].filter(
    (name) => flagText(values, name) !== undefined,
  );
  const flag = flagText(values, 'api');
  const url =
    flag ??
    (tableFlags.length === 0 && flagText(values, 'region') === undefined
      ? env.QG_ADMIN_API_URL || undefined
      : undefined);
  const token = flagText(values, 'admin-token') ?? (env.QG_ADMIN_TOKEN || undefined);
  if (url === undefined) {
    if (flagText(values, 'admin-token') !== undefined) {
      throw new UsageError('--admin-token goes with --api <url> (the admin API to call).');
    }
    return undefined;
  }
  if (tableFlags.length > 0) {
    throw new UsageError(`--api calls the admin API; it cannot be combined with --${tableFlags[0]}.`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--api must be an http:// or https:// URL, got "${url}".`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--api must be an http:// or https:// URL, got "${url}".`);
  }
  const region = flagText(values, 'region') ?? (env.AWS_REGION || undefined);
  return {
    url: parsed.origin + parsed.pathname.replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    ...(region ? { region } : {}),
  };
}
