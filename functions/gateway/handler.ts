/**
 * The gateway Lambda behind its streaming Function URL. Dependencies are built once per
 * execution environment, on the first request, and reused while the environment stays warm.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createEventBridgeClient } from '#shared/events/eventbridge-client.ts';
import { EventBridgeUsagePublisher } from '#shared/events/eventbridge-publisher.ts';
import { createGatewayDeps } from '#shared/gateway/create-deps.ts';
import type { GatewayDeps } from '#shared/gateway/deps.ts';
import { loadSettings } from '#shared/settings.ts';
import { JsonDocumentClient } from '#shared/store/dynamo/document-client.ts';
import { dynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import { DynamoParkedUsageEvents } from '#shared/store/dynamo/usage-parked-events.ts';
import { installLazySourceMaps } from '../lazy-source-maps.ts';
import { createGatewayHandler } from './create-handler.ts';

// The bundle's traces name the TypeScript sources, the map read at the first trace only.
installLazySourceMaps(import.meta.url);

let deps: GatewayDeps | undefined;

function productionDeps(): GatewayDeps {
  const settings = loadSettings();
  // Service name, log level and sampling come from the POWERTOOLS_* variables the stack sets.
  const logger = new Logger();
  const requester = dynamoJsonClient();
  // Every DynamoDB request through the JSON client: the SDK's document client (its client,
  // credential chain and smithy) would be nearly two thirds of the bundle a cold start reads.
  const client = new JsonDocumentClient(requester);
  const publisher = new EventBridgeUsagePublisher({
    // One attempt per call: the publisher retries, entry by entry, and parks what still fails.
    client: createEventBridgeClient({ maxAttempts: 1 }),
    eventBusName: settings.eventBusName,
    parking: new DynamoParkedUsageEvents(client, settings.tables.usage),
    logger,
  });
  return createGatewayDeps({ settings, client, requester, publisher, logger });
}

export const handler = createGatewayHandler(() => {
  deps ??= productionDeps();
  return deps;
});
