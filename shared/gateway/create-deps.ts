/**
 * Builds the gateway's dependencies from settings, a DynamoDB client and a usage-event
 * publisher: the one place that decides which implementation stands behind each interface.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { checkBillingEligibility } from '../billing/eligibility.ts';
import { BUILTIN_PRICES } from '../billing/price-table.ts';
import { createConcurrency } from '../concurrency/create-concurrency.ts';
import { sessionHashOf } from '../concurrency/session-hash.ts';
import type { UsageEventPublisher } from '../events/usage-event.ts';
import { createTokenRefresh } from '../oauth/create-token-refresh.ts';
import { createGatewayMetrics, type MetricsSink } from '../observability/gateway-metrics.ts';
import { createOpsRecorder } from '../ops/create-ops-recorder.ts';
import type { GatewaySettings } from '../settings.ts';
import { CachedConfigDirectory } from '../store/cached-directory.ts';
import { CredentialCache } from '../store/credential-cache.ts';
import { sendReadsThrough } from '../store/dynamo/batch-get.ts';
import { DynamoConfigDirectory } from '../store/dynamo/config-directory.ts';
import type { DocumentClient } from '../store/dynamo/document-client.ts';
import type { DynamoRequester } from '../store/dynamo/json-protocol.ts';
import { DynamoRequestRates } from '../store/dynamo/request-rate-store.ts';
import { DynamoRequestStarts } from '../store/dynamo/usage-ledger-started.ts';
import { DynamoUsageReader } from '../store/dynamo/usage-reader.ts';
import type { GatewayDeps } from './deps.ts';
import { createRequestObserver } from './request-observer.ts';

export interface GatewayDepsInput {
  settings: GatewaySettings;
  client: DocumentClient;
  /**
   * The hot path's requests (slots, `started` records, the batch reads of `client`): the JSON
   * client (json-client.ts) on the same endpoint.
   */
  requester: DynamoRequester;
  publisher: UsageEventPublisher;
  logger?: Logger;
  /** Where EMF metrics go: stdout on Lambda (the default), nowhere or a function locally. */
  metricsSink?: MetricsSink;
  now?: () => number;
}

export function createGatewayDeps(input: GatewayDepsInput): GatewayDeps {
  const { settings, client } = input;
  // The Config, sticky-session and credential reads of a request leave as one BatchGetItem.
  sendReadsThrough(client, input.requester);
  const now = input.now ?? Date.now;
  const dynamo = new DynamoConfigDirectory(client, settings.tables.config);
  const directory = new CachedConfigDirectory(dynamo, settings.configCacheSeconds * 1000, now);
  // Kept by credentials version, not time: the config cache running out does not empty it.
  const credentials = new CredentialCache(dynamo);
  const logger = input.logger ?? new Logger({ serviceName: 'quotagate-gateway' });
  const concurrency = createConcurrency({
    client,
    requester: input.requester,
    tables: settings.tables,
    settings,
    listAccounts: () => directory.listAccounts(),
    onError: (error, context) => logger.warn(`concurrency: ${context} failed`, { error: String(error) }),
  });
  const catalog = Object.keys(BUILTIN_PRICES).sort();
  const tokens = createTokenRefresh({ client, tables: settings.tables, settings, logger });
  const observer = createRequestObserver(
    createGatewayMetrics({ sink: input.metricsSink ?? 'stdout' }),
    createOpsRecorder({ client, tables: settings.tables, logger }),
    now,
  );
  return {
    settings,
    directory,
    billingState: directory,
    requestStarts: new DynamoRequestStarts(input.requester, settings.tables.usage),
    accountHealth: {
      async setHealth(accountId, health) {
        await dynamo.setHealth(accountId, health);
        directory.invalidateAccounts();
      },
    },
    requestRates: new DynamoRequestRates(client, settings.tables.state),
    acquireUserSlot: concurrency.acquireUserSlot,
    tryUserSlot: concurrency.tryUserSlot,
    selectAccount: concurrency.selectAccount,
    withCredentials: (account) => credentials.withCredentials(account),
    readCredentialsAhead: (groupId) => credentials.readAhead(groupId, () => directory.listAccounts()),
    lookupSticky: concurrency.lookupSticky,
    sessionHashOf,
    checkEligibility: (caller, model, at) => checkBillingEligibility({ ...caller, model, now: at }),
    publisher: input.publisher,
    usageReader: new DynamoUsageReader(client, settings.tables),
    ensureFreshToken: (account) => tokens.ensureFreshToken(account),
    forceTokenRefresh: (account) => tokens.forceRefresh(account),
    observer,
    modelCatalog: () => catalog,
    logger,
    now,
  };
}
