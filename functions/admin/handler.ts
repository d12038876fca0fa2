/**
 * The admin API Lambda behind its IAM-authenticated Function URL (see docs/admin-api.md).
 * Dependencies are built once per execution environment and reused while it stays warm.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createAdminApiDeps } from '#shared/admin-api/create-deps.ts';
import type { AdminApiDeps } from '#shared/admin-api/routes.ts';
import { loadSettings } from '#shared/settings.ts';
import { documentClient } from '#shared/store/dynamo/client.ts';
import { createAdminHandler } from './create-handler.ts';

let deps: AdminApiDeps | undefined;

export const handler = createAdminHandler(() => {
  // Service name and log level come from the POWERTOOLS_* variables the stack sets.
  deps ??= createAdminApiDeps({
    // The SDK's client: a few requests a call, where its CPU does not matter (document-client.ts).
    client: documentClient(),
    tables: loadSettings().tables,
    logger: new Logger(),
  });
  return deps;
});
