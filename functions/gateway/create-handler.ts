/**
 * The gateway's Lambda handler, parameterised by its dependencies so the local stack can run the
 * very same handler with its own event bus. Thin by design: event → core → streaming result.
 */
import middy from '@middy/core';
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { GatewayDeps } from '#shared/gateway/deps.ts';
import { handleGatewayRequest } from '#shared/gateway/router.ts';
import { toGatewayRequest, toStreamingResult } from './function-url.ts';

export function createGatewayHandler(getDeps: () => GatewayDeps) {
  return middy<APIGatewayProxyEventV2, unknown, Error, Context>({
    executionMode: executionModeStreamifyResponse,
  }).handler(async (event, context) => {
    const response = await handleGatewayRequest(toGatewayRequest(event, context), getDeps());
    return toStreamingResult(response);
  });
}
