/**
 * What `npm start` prints: where everything runs and the next steps as commands that work when
 * pasted as printed. The CLI finds the local stack through `QG_DYNALITE_PORT` and the mock
 * upstream listens on `QG_MOCK_UPSTREAM_PORT`, so when a port moved from its default the
 * commands carry that variable.
 *
 * @example
 * ```ts
 * console.log(startBanner({ gatewayUrl, dynamoEndpoint, dynamoPort: 8788, adminUrl, … }));
 * ```
 */
import { DEFAULT_LOCAL_PORT } from '../cli/target.ts';

export const DEFAULT_MOCK_UPSTREAM_PORT = 8790;

export interface BannerInput {
  gatewayUrl: string;
  dynamoEndpoint: string;
  dynamoPort: number;
  dataDir: string;
  adminUrl: string;
  adminToken: string;
  generatedToken: boolean;
  mockUpstreamPort: number;
}

export function startBanner(input: BannerInput): string {
  const cli =
    input.dynamoPort === DEFAULT_LOCAL_PORT
      ? 'npx quotagate'
      : `QG_DYNALITE_PORT=${input.dynamoPort} npx quotagate`;
  const mock =
    input.mockUpstreamPort === DEFAULT_MOCK_UPSTREAM_PORT
      ? 'npm run mock-upstream'
      : `QG_MOCK_UPSTREAM_PORT=${input.mockUpstreamPort} npm run mock-upstream`;
  const token = input.generatedToken
    ? `token ${input.adminToken} (set QG_ADMIN_TOKEN to choose one)`
    : 'token from QG_ADMIN_TOKEN';
  return `quotagate is running on the embedded local stack

  Gateway (Function URL):  ${input.gatewayUrl}
  OpenAI base URL:         ${input.gatewayUrl}/v1   (or ${input.gatewayUrl}/openai/v1)
  DynamoDB (dynalite):     ${input.dynamoEndpoint}   data in ${input.dataDir}
  Console:                 ${input.adminUrl}/   (sign in with the admin token)
  Admin API:               ${input.adminUrl}/admin/v1   ${token}

Next, in another terminal:
  1. Add an upstream account (any Responses-compatible server; try the mock: ${mock}):
       ${cli} accounts create --type apikey --name main --base-url http://127.0.0.1:${input.mockUpstreamPort} --api-key sk-mock-anything
  2. Create a user and a key:
       ${cli} users create --email you@example.com --concurrency 5 --balance 10
       ${cli} keys create --user <user id>
  3. Call it:
       curl ${input.gatewayUrl}/v1/responses -H "Authorization: Bearer <key>" -H 'content-type: application/json' \\
         -d '{"model":"gpt-5.1","input":"Say hello"}'

Requests are logged below as they end: time, status, method, route, user, model, duration.
Press Ctrl-C to stop.`;
}
