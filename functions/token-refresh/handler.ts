/**
 * The token-refresh Lambda: an EventBridge schedule invokes it every 5 minutes to refresh the
 * OAuth (ChatGPT) tokens that expire within the window. Thin by design: the pass itself is
 * `refreshExpiringTokens` in shared/oauth. A refresh that fails is the account's business (counted,
 * then error state, on the account); only a pass that could not reach storage for some account
 * fails the invocation, so the errors alarm fires. The next run retries either way.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { createTokenRefresh, type TokenRefresh } from '#shared/oauth/create-token-refresh.ts';
import type { ScheduledRefreshSummary } from '#shared/oauth/expiring-tokens.ts';
import { deadlineFrom } from '#shared/runtime/deadline.ts';
import { loadSettings } from '#shared/settings.ts';
import { JsonDocumentClient } from '#shared/store/dynamo/document-client.ts';
import { dynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import { installLazySourceMaps } from '../lazy-source-maps.ts';

// The bundle's traces name the TypeScript sources, the map read at the first trace only.
installLazySourceMaps(import.meta.url);

const logger = new Logger({ serviceName: 'token-refresh' });
let tokens: TokenRefresh | undefined;

/** No refresh starts later than this before Lambda's own timeout. */
const SAFETY_MS = 3000;

function tokenRefresh(): TokenRefresh {
  if (!tokens) {
    const settings = loadSettings();
    // The JSON client, as the recorder's: the SDK's document client would be most of this
    // function's bundle, parsed at every cold start of a function that runs every 5 minutes.
    const client = new JsonDocumentClient(dynamoJsonClient());
    tokens = createTokenRefresh({ client, tables: settings.tables, settings, logger });
  }
  return tokens;
}

export const handler = middy<ScheduledEvent, ScheduledRefreshSummary, Error, Context>()
  .use(injectLambdaContext(logger))
  .handler(async (_event, context) => {
    const deadlineMs = deadlineFrom(context, SAFETY_MS);
    const summary = await tokenRefresh().refreshExpiringTokens({ deadlineMs });
    logger.info('Token refresh pass done', { ...summary });
    if (summary.errors > 0)
      throw new Error(`token refresh: ${summary.errors} account(s) could not be processed`);
    return summary;
  });
