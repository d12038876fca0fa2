import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account } from '#shared/domain/types.ts';
import { applyDefaultInstructions, isCodexClient } from '#shared/gateway/codex-client.ts';
import { UpstreamUnavailableError } from '#shared/gateway/upstream-client.ts';
import { buildUpstreamRequest, forwardedHeaders } from '#shared/gateway/upstream-request.ts';

const base: Omit<Account, 'type' | 'credentials'> = {
  id: 'acc_1',
  name: 'a',
  status: 'active',
  priority: 1,
  concurrency: 1,
  modelMapping: { 'gpt-5': 'gpt-5.1-codex' },
  groupIds: ['g'],
  health: { state: 'ok' },
  createdAt: '2026-01-01T00:00:00Z',
};
const apiKeyAccount = (baseUrl?: string): Account => ({
  ...base,
  type: 'apikey',
  credentials: { apiKey: 'sk-platform' },
  ...(baseUrl ? { baseUrl } : {}),
});
const oauthAccount: Account = {
  ...base,
  type: 'oauth',
  credentials: { accessToken: 'at-1', chatgptAccountId: 'chatgpt-acc' },
};
const input = {
  clientHeaders: { authorization: 'Bearer sk-qg-client', 'user-agent': 'sdk' },
  body: { model: 'gpt-5', input: 'hi', stream: false },
  model: 'gpt-5',
  stream: false,
  isCodexClient: false,
  defaultInstructions: 'DEFAULT',
  chatgptBaseUrl: 'https://chatgpt.example/backend-api/codex',
};

describe('buildUpstreamRequest', () => {
  it('sends an API-key account to {base}/v1/responses whether or not the base ends in /v1', () => {
    assert.equal(
      buildUpstreamRequest({ ...input, account: apiKeyAccount('http://h:1/') }).url,
      'http://h:1/v1/responses',
    );
    assert.equal(
      buildUpstreamRequest({ ...input, account: apiKeyAccount('http://h:1/v1') }).url,
      'http://h:1/v1/responses',
    );
    assert.equal(
      buildUpstreamRequest({ ...input, account: apiKeyAccount() }).url,
      'https://api.openai.com/v1/responses',
    );
  });

  it('maps the model and uses the platform key, never the client’s', () => {
    const target = buildUpstreamRequest({ ...input, account: apiKeyAccount('http://h') });
    assert.equal(target.modelSent, 'gpt-5.1-codex');
    assert.equal(JSON.parse(target.body.toString()).model, 'gpt-5.1-codex');
    assert.equal(target.headers.authorization, 'Bearer sk-platform');
    assert.equal(target.upstreamStreams, false);
  });

  it('sends an OAuth account to the ChatGPT backend with store:false, stream:true and its account id', () => {
    const target = buildUpstreamRequest({ ...input, account: oauthAccount });
    const body = JSON.parse(target.body.toString());
    assert.equal(target.url, 'https://chatgpt.example/backend-api/codex/responses');
    assert.equal(body.store, false);
    assert.equal(body.stream, true);
    assert.equal(target.upstreamStreams, true);
    assert.equal(target.headers['chatgpt-account-id'], 'chatgpt-acc');
    assert.equal(target.headers.authorization, 'Bearer at-1');
    assert.equal(target.headers.accept, 'text/event-stream');
  });

  it('sends the account’s own User-Agent instead of the client’s, and names its proxy', () => {
    const account: Account = {
      ...apiKeyAccount('http://h'),
      userAgent: 'team-egress/1.0',
      credentials: { apiKey: 'sk-platform', proxyUrl: 'http://u:p@proxy:3128' },
    };
    const target = buildUpstreamRequest({ ...input, account });
    assert.equal(target.headers['user-agent'], 'team-egress/1.0');
    assert.equal(target.proxyUrl, 'http://u:p@proxy:3128');
    const plain = buildUpstreamRequest({ ...input, account: apiKeyAccount('http://h') });
    assert.equal(plain.headers['user-agent'], 'sdk');
    assert.equal(plain.proxyUrl, undefined);
  });

  it('sends a Chat Completions client on an API-key account to {base}/v1/chat/completions, body as it came', () => {
    const body = { model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] };
    const target = buildUpstreamRequest({
      ...input,
      body,
      account: apiKeyAccount('http://h/v1'),
      platformEndpoint: 'chat/completions',
    });
    assert.equal(target.url, 'http://h/v1/chat/completions');
    assert.deepEqual(JSON.parse(target.body.toString()), { ...body, model: 'gpt-5.1-codex' });
  });
});

describe('forwardedHeaders', () => {
  it('keeps the whitelist and x-codex-* only', () => {
    const headers = forwardedHeaders({
      authorization: 'Bearer x',
      'x-api-key': 'x',
      'accept-encoding': 'gzip',
      cookie: 'c',
      'x-codex-beta-features': 'a',
      'thread-id': 't',
      'content-type': 'text/plain',
    });
    assert.deepEqual(headers, {
      'x-codex-beta-features': 'a',
      'thread-id': 't',
      'content-type': 'application/json',
    });
  });
});

describe('instructions', () => {
  it('recognises Codex by originator or user agent', () => {
    assert.equal(isCodexClient({ originator: 'codex_cli_rs' }), true);
    assert.equal(isCodexClient({ 'user-agent': 'codex_vscode/1.2' }), true);
    assert.equal(isCodexClient({ 'user-agent': 'codex-tui/0.1' }), true);
    assert.equal(isCodexClient({ 'user-agent': 'OpenAI/JS 7.57.0' }), false);
    assert.equal(isCodexClient({ 'user-agent': 'codexfake' }), false);
  });

  it('adds the default only when the client sent none, except on the ChatGPT backend', () => {
    assert.equal(applyDefaultInstructions({ input: 'x' }, 'D', false).instructions, 'D');
    assert.equal(
      applyDefaultInstructions({ input: 'x', instructions: 'mine' }, 'D', false).instructions,
      'mine',
    );
    const chatgpt = applyDefaultInstructions({ input: 'x', instructions: 'mine' }, 'D', true);
    assert.equal(chatgpt.instructions, 'D');
    assert.deepEqual((chatgpt.input as unknown[])[0], {
      type: 'message',
      role: 'developer',
      content: [{ type: 'input_text', text: 'mine' }],
    });
  });
});

describe('UpstreamUnavailableError', () => {
  it('keeps the proxy URL and its credentials out of its message', () => {
    const proxyUrl = 'http://acct1:s3cret-pass@10.0.0.7:3128';
    const cause = new Error(`connect ECONNREFUSED via ${proxyUrl} (acct1:s3cret-pass)`);
    const error = new UpstreamUnavailableError('connect', cause, proxyUrl);
    assert.ok(!error.message.includes('s3cret-pass'), error.message);
    assert.match(error.message, /^upstream connect: connect ECONNREFUSED via \[proxy\]/);
  });
});
