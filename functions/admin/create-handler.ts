/**
 * The admin API's Lambda handler, parameterised by its dependencies so the local admin server
 * runs the very same handler against dynalite. Thin by design: event → core → JSON result.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handleAdminRequest } from '#shared/admin-api/router.ts';
import type { AdminApiDeps } from '#shared/admin-api/routes.ts';
import { toAdminRequest, toFunctionUrlResult } from './function-url.ts';

export function createAdminHandler(getDeps: () => AdminApiDeps) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>().handler(
    async (event) => toFunctionUrlResult(await handleAdminRequest(toAdminRequest(event), getDeps())),
  );
}
