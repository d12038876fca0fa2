import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadSettings } from '#shared/settings.ts';

/** What AWS documents as a Function URL's (synchronous Lambda's) request payload limit: 6 MB. */
const AWS_PAYLOAD_LIMIT = 6_291_456;

describe('the default request body limit', () => {
  it('is what a Function URL can deliver, in the settings and in cdk.json alike', () => {
    const settings = loadSettings({});
    const cdk = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: { bodyLimitBytes: number } };
    assert.equal(settings.bodyLimitBytes, AWS_PAYLOAD_LIMIT);
    assert.equal(cdk.context.bodyLimitBytes, AWS_PAYLOAD_LIMIT);
  });

  it('can still be lowered by QG_BODY_LIMIT_BYTES', () => {
    assert.equal(loadSettings({ QG_BODY_LIMIT_BYTES: '65536' }).bodyLimitBytes, 65_536);
  });
});
