/**
 * `npm start`'s access log on the local stack: one line per request as it ends, served and
 * refused alike, with time, status, method, route, user, model and duration, and never a key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type E2E, startE2E } from '../support/e2e-stack.ts';

describe('the local access log', { timeout: 60_000 }, () => {
  let e2e: E2E;
  const lines: string[] = [];
  before(async () => {
    e2e = await startE2E({}, { accessLog: (line) => lines.push(line) });
  });
  after(async () => {
    await e2e?.close();
  });

  it('logs a served request with its user and model, and a refused one without a user', async () => {
    const { secret, userId } = await e2e.seed();
    await e2e.client(secret).responses.create({ model: 'gpt-5.1', input: 'hello' });
    const refused = await fetch(`${e2e.stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-qg-not-a-real-key-000000', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5-mini', input: 'x' }),
    });
    assert.equal(refused.status, 401);

    assert.equal(lines.length, 2);
    const time = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
    assert.match(lines[0] ?? '', new RegExp(`^${time} 200 POST /v1/responses ${userId} gpt-5\\.1 \\d+ms$`));
    assert.match(
      lines[1] ?? '',
      new RegExp(`^${time} 401 POST /v1/responses - gpt-5-mini \\d+ms authentication_error$`),
    );
    assert.ok(!lines.join('\n').includes(secret));
    assert.ok(!lines.join('\n').includes('not-a-real-key'));
  });
});
