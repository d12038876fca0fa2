/**
 * Answers far larger than any normal one pass through the gateway whole and are billed right: a
 * 100 MB stream whose closing frames (`output_text.done`, `content_part.done`, `output_item.done`,
 * `response.completed`) each carry a 20 MB text, and the same answer as one 20 MB JSON body. The
 * client receives every event the upstream sent, and the usage of the 20 MB terminal frame is read. How fast and in how much memory is the bench's to measure (`npm run bench --
 * --large-only`, docs/benchmarks.md), not a test's.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageEventDetail } from '#shared/events/usage-event.ts';
import { e2eForSuite, UPSTREAM_KEY } from '../support/e2e-stack.ts';
import type { MockBehaviour } from '../support/mock-upstream.ts';

const MB = 1024 * 1024;
const LARGE: MockBehaviour = {
  kind: 'ok',
  textBytes: 20 * MB,
  deltaBytes: 16 * 1024,
  usage: { input_tokens: 11, output_tokens: 5_000_000 },
};

const e2e = e2eForSuite();

/** Bytes of the answer, its sequence of SSE event names and the last bytes, without holding it. */
async function fetchAnswer(url: string, key: string, stream: boolean) {
  const response = await fetch(`${url}/v1/responses`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.1', input: 'Write at length.', stream }),
  });
  let bytes = 0;
  let tail = '';
  const events: string[] = [];
  const decoder = new TextDecoder();
  let lineStart = '';
  for await (const chunk of response.body ?? []) {
    bytes += chunk.length;
    const text = decoder.decode(chunk, { stream: true });
    tail = (tail + text).slice(-4096);
    // Event names start a line; a chunk may cut one, so the previous chunk's last line is kept.
    const lines = (lineStart + text).split('\n');
    lineStart = (lines.pop() ?? '').slice(0, 100);
    for (const line of lines) if (line.startsWith('event: ')) events.push(line.slice(7));
  }
  return { status: response.status, bytes, events, tail, requestId: response.headers.get('x-request-id') };
}

async function usageEventOf(requestId: string | null): Promise<UsageEventDetail | undefined> {
  await e2e.stack.bus.drain();
  return e2e.usageEvents().find((event) => event.detail.requestId === requestId)?.detail;
}

describe('answers of many MB', () => {
  it('streams 100 MB with 20 MB closing frames byte for byte, and bills the terminal frame’s usage', async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue(LARGE, LARGE);
    const direct = await fetchAnswer(e2e.mock.url, UPSTREAM_KEY, true);
    const through = await fetchAnswer(e2e.stack.url, secret, true);
    assert.ok(direct.bytes > 100 * MB, `${direct.bytes} bytes`);
    assert.equal(through.status, 200);
    // The response object echoes the request, to which the gateway adds default instructions.
    assert.ok(Math.abs(through.bytes - direct.bytes) < 4096, `${through.bytes} against ${direct.bytes}`);
    assert.deepEqual(through.events, direct.events);
    assert.equal(through.events.at(-1), 'response.completed');
    const detail = await usageEventOf(through.requestId);
    assert.equal(detail?.cutShort, false);
    assert.equal(detail?.usage.inputTokens, 11);
    assert.equal(detail?.usage.outputTokens, 5_000_000);
  });

  it('serves a 20 MB JSON answer whole, and bills its usage', async () => {
    const { secret } = await e2e.seed();
    e2e.mock.enqueue(LARGE, LARGE);
    const direct = await fetchAnswer(e2e.mock.url, UPSTREAM_KEY, false);
    const through = await fetchAnswer(e2e.stack.url, secret, false);
    assert.ok(direct.bytes > 20 * MB);
    assert.equal(through.status, 200);
    assert.ok(Math.abs(through.bytes - direct.bytes) < 4096, `${through.bytes} against ${direct.bytes}`);
    assert.match(through.tail, /"output_tokens":5000000/);
    const detail = await usageEventOf(through.requestId);
    assert.equal(detail?.usage.outputTokens, 5_000_000);
  });
});
