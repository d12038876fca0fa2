/**
 * A Chat Completions answer of 20 MB streams whole through `/v1/chat/completions` on both kinds of
 * account, read with the official `openai` SDK: on an API-key account the chunks pass through; on
 * a ChatGPT account the Responses stream (about 100 MB, its closing frames each repeating the 20 MB
 * text) is translated while the `*.done` frames are skipped. The client gets exactly the text, one
 * finish reason and the usage, and the request is billed from the upstream usage. The memory bound
 * asserted is generous (the mock in this same process builds and records the whole answer); the
 * bench measures the gateway's own (`npm run bench -- --large-only`, docs/benchmarks.md).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { e2eForSuite } from '../support/e2e-stack.ts';
import { fillerText } from '../support/mock-upstream/large-text.ts';
import type { MockBehaviour } from '../support/mock-upstream.ts';

const MB = 1024 * 1024;
const TEXT_BYTES = 20 * MB;
const LARGE: MockBehaviour = {
  kind: 'ok',
  textBytes: TEXT_BYTES,
  deltaBytes: 16 * 1024,
  usage: { input_tokens: 11, output_tokens: 5_000_000 },
};
/** Far above a bounded relay's needs, far below holding the answer's frames several times over. */
const RSS_GROWTH_LIMIT = 700 * MB;

const e2e = e2eForSuite();

const ACCOUNTS = {
  apikey: () => ({}),
  oauth: () => ({
    type: 'oauth' as const,
    baseUrl: `${e2e.mock.url}/backend-api/codex`,
    apiKey: undefined,
    accessToken: 'at-large-chat-token',
    refreshToken: 'rt_large_chat_refresh_0001',
    chatgptAccountId: 'chatgpt-account-large-chat',
    expiresAt: '2099-01-01T00:00:00Z',
  }),
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('chat answers of many MB', () => {
  for (const [kind, account] of Object.entries(ACCOUNTS)) {
    it(`streams a 20 MB chat answer whole on an ${kind} account, and bills its usage`, async (t) => {
      e2e.mock.reset();
      const { secret } = await e2e.seed({ account: account() });
      e2e.mock.enqueue(LARGE);
      const expected = sha256(fillerText(TEXT_BYTES));
      const client = new OpenAI({ apiKey: secret, baseURL: `${e2e.stack.url}/v1`, maxRetries: 0 });
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;

      const { data: stream, response } = await client.chat.completions
        .create({
          model: 'gpt-5',
          messages: [{ role: 'user', content: 'Write at length.' }],
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      const hash = createHash('sha256');
      let chars = 0;
      const finishes: string[] = [];
      let usage: OpenAI.CompletionUsage | undefined | null;
      for await (const chunk of stream) {
        const content = chunk.choices[0]?.delta.content ?? '';
        hash.update(content);
        chars += content.length;
        const finish = chunk.choices[0]?.finish_reason;
        if (finish) finishes.push(finish);
        if (chunk.usage) usage = chunk.usage;
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      }

      assert.equal(chars, TEXT_BYTES);
      assert.equal(hash.digest('hex'), expected);
      assert.deepEqual(finishes, ['stop']);
      assert.equal(usage?.prompt_tokens, 11);
      assert.equal(usage?.completion_tokens, 5_000_000);
      const growth = rssPeak - rssBefore;
      assert.ok(growth < RSS_GROWTH_LIMIT, `RSS grew by ${Math.round(growth / MB)} MB`);
      t.diagnostic(`${kind}: RSS grew by ${Math.round(growth / MB)} MB`);
      const requestId = response.headers.get('x-request-id');
      await e2e.stack.bus.drain();
      const detail = e2e.usageEvents().find((event) => event.detail.requestId === requestId)?.detail;
      assert.equal(detail?.cutShort, false);
      assert.equal(detail?.usage.inputTokens, 11);
      assert.equal(detail?.usage.outputTokens, 5_000_000);
    });
  }
});
