import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startBanner } from '#local/start-banner.ts';
import { resolveTarget } from '../../cli/target.ts';

const base = {
  gatewayUrl: 'http://127.0.0.1:8787',
  dynamoEndpoint: 'http://127.0.0.1:8788',
  dynamoPort: 8788,
  dataDir: '/tmp/qg',
  adminUrl: 'http://127.0.0.1:8789',
  adminToken: 'generated-token-0123456789',
  generatedToken: true,
  mockUpstreamPort: 8790,
};

/** The environment a printed command line sets before `npx quotagate`. */
function envOf(line: string): Record<string, string> {
  return Object.fromEntries(
    [...line.matchAll(/\b([A-Z_]+)=(\S+) (?=npx|npm)/g)].map((match) => [match[1], match[2]]),
  );
}

describe("npm start's banner", () => {
  it('prints plain commands when every port is the default', () => {
    const text = startBanner(base);
    assert.match(
      text,
      /^ {7}npx quotagate accounts create --type apikey --name main --base-url http:\/\/127\.0\.0\.1:8790 /m,
    );
    assert.match(text, /try the mock: npm run mock-upstream\)/);
    assert.match(text, /Console: +http:\/\/127\.0\.0\.1:8789\/ /);
    assert.match(text, /token generated-token-0123456789/);
  });

  it('carries the moved ports in the commands, so they reach this stack as printed', () => {
    const text = startBanner({
      ...base,
      gatewayUrl: 'http://127.0.0.1:9787',
      dynamoEndpoint: 'http://127.0.0.1:9788',
      dynamoPort: 9788,
      mockUpstreamPort: 9790,
    });
    const commands = text.split('\n').filter((line) => line.includes('npx quotagate'));
    assert.equal(commands.length, 3);
    for (const line of commands) {
      const target = resolveTarget({}, envOf(line));
      assert.equal(target.endpoint, 'http://127.0.0.1:9788', line);
    }
    assert.match(text, /QG_MOCK_UPSTREAM_PORT=9790 npm run mock-upstream/);
    assert.match(text, /--base-url http:\/\/127\.0\.0\.1:9790 /);
    assert.match(text, /curl http:\/\/127\.0\.0\.1:9787\/v1\/responses/);
  });
});
