/**
 * The admin API Lambda behind its IAM-authenticated Function URL (see docs/admin-api.md).
 * Dependencies are built once per execution environment and reused while it stays warm.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createAdminApiDeps } from '#shared/admin-api/create-deps.ts';
import type { AdminApiDeps } from '#shared/admin-api/routes.ts';
import { loadSettings } from '#shared/settings.ts';
import { JsonDocumentClient } from '#shared/store/dynamo/document-client.ts';
import { dynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import { installLazySourceMaps } from '../lazy-source-maps.ts';
import { createAdminHandler } from './create-handler.ts';

// The bundle's traces name the TypeScript sources, the map read at the first trace only.
installLazySourceMaps(import.meta.url);

let deps: AdminApiDeps | undefined;

export const handler = createAdminHandler(() => {
  if (!deps) {
    // The JSON clients, as the recorder's: the SDK's would be most of the bundle a cold start
    // reads, and the console waits for that start.
    const requester = dynamoJsonClient();
    deps = createAdminApiDeps({
      client: new JsonDocumentClient(requester),
      requester,
      tables: loadSettings().tables,
      // Service name and log level come from the POWERTOOLS_* variables the stack sets.
      logger: new Logger(),
    });
  }
  return deps;
});
