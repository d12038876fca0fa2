/**
 * The gateway core through its own seam: `handleGatewayRequest` called directly with a
 * GatewayRequest built here, on dynalite and the mock upstream, with no Function URL emulator in
 * between. What the core decides (statuses, failover, waits, the deadline, error frames, slot
 * release, the usage event) is visible here without HTTP framing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { GatewayRequest, GatewayResponse } from '#shared/gateway/http.ts';
import type { RequestOutcome } from '#shared/gateway/request-observer.ts';
import { handleGatewayRequest } from '#shared/gateway/router.ts';
import { DEADLINE_MARGIN_MS } from '#shared/gateway/serve-responses.ts';
import { seedAccountPool } from '../support/account-pool.ts';
import { type E2E, startE2E } from '../support/e2e-stack.ts';
import { eventually } from '../support/gateway-calls.ts';

let e2e: E2E;
before(async () => {
  e2e = await startE2E({ QG_IDLE_TIMEOUT_MS: '60000', QG_USER_WAIT_SECONDS: '1' });
});
after(async () => {
  await e2e.close();
});

function request(
  secret: string,
  body: unknown,
  options: { path?: string; method?: string; deadlineInMs?: number } = {},
): GatewayRequest {
  const receivedAt = Date.now();
  return {
    method: options.method ?? 'POST',
    path: options.path ?? '/v1/responses',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    requestId: `req_${randomUUID().replaceAll('-', '')}`,
    receivedAt,
    deadlineAt: receivedAt + (options.deadlineInMs ?? 900_000),
  };
}

async function bodyText(response: GatewayResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

const serve = (req: GatewayRequest) => handleGatewayRequest(req, e2e.stack.deps);

/** Serves with an observer that notes every outcome before handing it to the stack's own. */
function observed(): { serve: typeof serve; outcomes: Map<string, RequestOutcome[]> } {
  const outcomes = new Map<string, RequestOutcome[]>();
  const inner = e2e.stack.deps.observer;
  const observer: typeof inner = {
    async requestEnded(req, caller, outcome) {
      outcomes.set(req.requestId, [...(outcomes.get(req.requestId) ?? []), outcome]);
      await inner.requestEnded(req, caller, outcome);
    },
  };
  return { serve: (req) => handleGatewayRequest(req, { ...e2e.stack.deps, observer }), outcomes };
}

type Pool = Awaited<ReturnType<typeof seedAccountPool>>;

/**
 * Serves one request of `pool`'s user while the admin deletes each account of the pool between
 * the gateway's listing and its read of that account's credentials, and checks the client is
 * refused as when no account serves the group: no upstream called, nothing billed, and the
 * outcome observed as that refusal.
 */
async function assertEveryCandidateGone(on: E2E, pool: Pool, stream: boolean): Promise<void> {
  const seen = on.mock.requests.length;
  const eventsBefore = on.usageEvents().length;
  const inner = on.stack.deps.withCredentials;
  const deletions = new Map<string, Promise<void>>();
  const withCredentials: typeof inner = async (account) => {
    if (pool.accountIds.includes(account.id)) {
      if (!deletions.has(account.id)) {
        const deleted = on.admin
          .update('account', account.id, { status: 'disabled' })
          .then(() => on.admin.remove('account', account.id));
        deletions.set(account.id, deleted);
      }
      await deletions.get(account.id);
    }
    return inner(account);
  };
  const outcomes: RequestOutcome[] = [];
  const observer: typeof on.stack.deps.observer = {
    async requestEnded(req, caller, outcome) {
      outcomes.push(outcome);
      await on.stack.deps.observer.requestEnded(req, caller, outcome);
    },
  };

  const response = await handleGatewayRequest(
    request(pool.secret, { model: 'gpt-5.1', input: 'hi', stream }),
    // An instance that read the group ahead before these accounts joined it: their credentials
    // are read as each is chosen, after the deletion.
    { ...on.stack.deps, withCredentials, readCredentialsAhead: () => undefined, observer },
  );
  const text = await bodyText(response);

  // Every account was listed and chosen in turn (the race happened for each); none was called.
  assert.deepEqual([...deletions.keys()].sort(), [...pool.accountIds].sort());
  assert.deepEqual(pool.attempts().slice(seen), []);
  // docs/architecture.md, "How a refusal becomes an answer": NoAccountsError is a 503 api_error;
  // docs/operations.md words it for a group no account serves, with Retry-After 5 seconds.
  const message = 'No available accounts: no account serves this group';
  assert.equal(response.status, 503, text);
  assert.match(response.headers['content-type'] ?? '', /^application\/json/);
  assert.equal(response.headers['retry-after'], '5');
  assert.deepEqual(JSON.parse(text), { error: { type: 'api_error', message } });
  assert.deepEqual(
    outcomes.map((outcome) => [outcome.status, outcome.errorType, outcome.message, outcome.failovers]),
    [[503, 'api_error', message, 0]],
  );
  assert.equal(outcomes[0]?.accountId, undefined);
  assert.equal(outcomes[0]?.upstreamStatus, undefined);
  await on.stack.bus.drain();
  assert.equal(on.usageEvents().length, eventsBefore);
}

describe('the gateway core, called directly', { timeout: 60_000 }, () => {
  it('answers an unknown route with an OpenAI-shaped 404 and a wrong method with 405 and allow', async () => {
    const notFound = await serve(request('none', '', { path: '/v1/nowhere', method: 'GET' }));
    assert.equal(notFound.status, 404);
    assert.deepEqual(JSON.parse(await bodyText(notFound)).error.type, 'invalid_request_error');

    const wrongMethod = await serve(request('none', '', { path: '/v1/responses', method: 'GET' }));
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.allow, 'POST');
    assert.equal(wrongMethod.headers['x-request-id']?.startsWith('req_'), true);
  });

  it('fails over to the next account when the first answers 500, and bills the one that served', async () => {
    const pool = await seedAccountPool(e2e, 2);
    const seen = e2e.mock.requests.length;
    e2e.mock.enqueue({ kind: 'error', status: 500 });
    const eventsBefore = e2e.usageEvents().length;

    const response = await serve(request(pool.secret, { model: 'gpt-5.1', input: 'hi' }));
    const body = JSON.parse(await bodyText(response));

    assert.equal(response.status, 200);
    assert.equal(body.status, 'completed');
    assert.deepEqual(pool.attempts().slice(seen), [0, 1]);
    await e2e.stack.bus.drain();
    const event = e2e.usageEvents().slice(eventsBefore)[0];
    assert.equal(event?.detail.accountId, pool.accountIds[1]);
  });

  it("lets go of a served request's bytes once its body is parsed, yet fails over with the same body", async () => {
    const pool = await seedAccountPool(e2e, 2);
    const seen = e2e.mock.requests.length;
    e2e.mock.enqueue({ kind: 'error', status: 500 });
    // Instructions of its own, so an API-key account gets the body as it came.
    const sent = {
      model: 'gpt-5.1',
      instructions: 'Be brief.',
      input: 'Say hi — twice, in ünïcode.',
      metadata: { n: '1' },
    };
    const served = request(pool.secret, sent);
    const refused = request(pool.secret, { model: 'gpt-5.1', input: 'hi', stream: 'yes' });
    const refusedBytes = refused.body.length;

    const response = await serve(served);
    await bodyText(response);
    const refusal = await serve(refused);
    await bodyText(refusal);

    assert.equal(response.status, 200);
    // The request outlives its stream; its bytes do not (the parsed body is the one copy kept).
    assert.equal(served.body.length, 0);
    // Both accounts were sent the client's body, the second after the first one's 500.
    assert.deepEqual(pool.attempts().slice(seen), [0, 1]);
    assert.deepEqual(
      e2e.mock.requests.slice(seen).map((recorded) => recorded.body),
      [sent, sent],
    );
    // A body refused before it was served keeps its bytes (the local access log reads them).
    assert.equal(refusal.status, 400);
    assert.equal(refused.body.length, refusedBytes);
  });

  it('refuses a body of more JSON values than the heap can hold with a 400, before any slot, call or record', async () => {
    const pool = await seedAccountPool(e2e, 1);
    const seen = e2e.mock.requests.length;
    const eventsBefore = e2e.usageEvents().length;
    // 6 MB of empty objects: 2 M values, which JSON.parse would build into more than 100 MB.
    const hostile = `{"model":"gpt-5.1","input":[${'{},'.repeat(2_000_000)}{}]}`;

    const response = await serve(request(pool.secret, hostile));

    assert.equal(response.status, 400);
    assert.deepEqual(JSON.parse(await bodyText(response)), {
      error: {
        type: 'invalid_request_error',
        message: 'Request body holds too many JSON values, limit is 500,000',
      },
    });
    assert.equal(e2e.mock.requests.length, seen);
    await e2e.stack.bus.drain();
    assert.equal(e2e.usageEvents().length, eventsBefore);
  });

  it('serves from the next account when the chosen one was deleted after it was listed', async () => {
    const pool = await seedAccountPool(e2e, 2);
    const seen = e2e.mock.requests.length;
    const [first] = pool.accountIds;
    const inner = e2e.stack.deps.withCredentials;
    // The race, made to happen: the admin deletes the first account between the listing and the
    // read of its credentials.
    let deleted: Promise<void> | undefined;
    const withCredentials: typeof inner = async (account) => {
      if (account.id === first) {
        deleted ??= e2e.admin
          .update('account', account.id, { status: 'disabled' })
          .then(() => e2e.admin.remove('account', account.id));
        await deleted;
      }
      return inner(account);
    };

    const response = await handleGatewayRequest(request(pool.secret, { model: 'gpt-5.1', input: 'hi' }), {
      ...e2e.stack.deps,
      withCredentials,
      // As on an instance that read the group ahead before the pool joined it.
      readCredentialsAhead: () => undefined,
    });

    const text = await bodyText(response);
    assert.equal(response.status, 200, text);
    assert.equal(JSON.parse(text).status, 'completed');
    assert.deepEqual(pool.attempts().slice(seen), [1]);
  });

  it('refuses as having no available account when every candidate was deleted after it was listed', async () => {
    const pool = await seedAccountPool(e2e, 2);
    await assertEveryCandidateGone(e2e, pool, false);
  });

  it('ends a stream the function deadline would cut with exactly one SSE error and frees the slot', async () => {
    const { secret } = await e2e.seed({ user: { concurrency: 1 } });
    e2e.mock.enqueue({ kind: 'stall', afterEvents: 3 });
    const stream = { model: 'gpt-5.1', input: 'hi', stream: true };

    const response = await serve(request(secret, stream, { deadlineInMs: DEADLINE_MARGIN_MS + 1_000 }));
    const text = await bodyText(response);

    assert.equal(response.status, 200);
    assert.match(response.headers['content-type'] ?? '', /^text\/event-stream/);
    assert.match(text, /event: response\.created/);
    assert.equal(text.match(/event: error\n/g)?.length, 1, text);
    // The only slot was released: the next request of this concurrency-1 user is served at once.
    const next = await serve(request(secret, { model: 'gpt-5.1', input: 'hi' }));
    assert.equal(next.status, 200);
    await bodyText(next);
  });

  it('lets a second request wait for the user slot, then refuses it with a status once the wait is over', async () => {
    const { secret } = await e2e.seed({ user: { concurrency: 1 } });
    // The holder keeps its slot until the answer's first byte, well past the waiter's 1 s wait.
    e2e.mock.enqueue({ kind: 'ok', firstByteDelayMs: 3_000 });
    const atUpstream = e2e.mock.requests.length + 1;

    const holder = serve(request(secret, { model: 'gpt-5.1', input: 'first' }));
    // A request reaches the upstream only once it holds the user's slot: wait (bounded) for that.
    await eventually(() => e2e.mock.requests.length >= atUpstream);
    const waiter = await serve(request(secret, { model: 'gpt-5.1', input: 'second' }));
    const refusal = JSON.parse(await bodyText(waiter));

    assert.equal(waiter.status, 429);
    assert.equal(refusal.error.type, 'rate_limit_error');
    const held = await holder;
    assert.equal(held.status, 200);
    assert.equal(JSON.parse(await bodyText(held)).status, 'completed');
  });

  it('observes every route once, with the status its client got, before the body ends', async () => {
    const { secret } = await e2e.seed({});
    const { serve: serveObserved, outcomes } = observed();
    const cases: [GatewayRequest, number, string | undefined][] = [
      [request('none', '', { path: '/health', method: 'GET' }), 200, undefined],
      [request('none', '', { path: '/v1/nowhere', method: 'GET' }), 404, 'invalid_request_error'],
      [request('sk-not-a-key', '', { path: '/v1/models', method: 'GET' }), 401, 'authentication_error'],
      [request(secret, '', { path: '/v1/models', method: 'GET' }), 200, undefined],
      [request(secret, '{"model":'), 400, 'invalid_request_error'],
      [request(secret, { model: 'gpt-5.1', input: 'hi' }), 200, undefined],
    ];
    for (const [req, status, errorType] of cases) {
      const response = await serveObserved(req);
      await bodyText(response);
      // Read as soon as the body ended: the observation came before its end.
      const seen = outcomes.get(req.requestId) ?? [];
      assert.equal(response.status, status, req.path);
      assert.deepEqual(
        seen.map((outcome) => [outcome.status, outcome.errorType]),
        [[status, errorType]],
        req.path,
      );
    }
  });

  it("observes an upstream's refusal as the client got it, and a failure inside a stream as 200 with its error", async () => {
    const { secret } = await e2e.seed({});
    const { serve: serveObserved, outcomes } = observed();
    const refusal = {
      error: { type: 'invalid_request_error', message: 'Unsupported parameter: x', code: null },
    };
    e2e.mock.enqueue({ kind: 'error', status: 400, body: refusal });
    const refused = request(secret, { model: 'gpt-5.1', input: 'hi' });

    const response = await serveObserved(refused);

    assert.equal(response.status, 400);
    assert.deepEqual(JSON.parse(await bodyText(response)), refusal);
    const [outcome] = outcomes.get(refused.requestId) ?? [];
    assert.equal(outcome?.status, 400);
    assert.equal(outcome?.errorType, 'invalid_request_error');
    assert.equal(outcome?.upstreamStatus, 400);
    assert.equal(outcome?.message, 'Unsupported parameter: x');

    e2e.mock.enqueue({ kind: 'stall', afterEvents: 3 });
    const cut = request(
      secret,
      { model: 'gpt-5.1', input: 'hi', stream: true },
      { deadlineInMs: DEADLINE_MARGIN_MS + 1_000 },
    );
    const stream = await serveObserved(cut);
    const text = await bodyText(stream);

    assert.equal(stream.status, 200);
    assert.equal(text.match(/event: error\n/g)?.length, 1, text);
    assert.deepEqual(
      (outcomes.get(cut.requestId) ?? []).map((seen) => [seen.status, seen.errorType, seen.message]),
      [[200, 'upstream_error', 'Upstream stream ended early (deadline)']],
    );
  });
});

describe('the gateway core with a listing cached while the admin deletes', { timeout: 60_000 }, () => {
  // As on Lambda, where an instance keeps the listing for seconds and the admin writes from
  // elsewhere: the deleted accounts stay listed for the whole request.
  let cached: E2E;
  const pools: Pool[] = [];
  before(async () => {
    cached = await startE2E({ QG_CONFIG_CACHE_SECONDS: '60' });
    // Both pools before any request, so the one listing the gateway caches names all four accounts.
    pools.push(await seedAccountPool(cached, 2), await seedAccountPool(cached, 2));
  });
  after(async () => {
    await cached.close();
  });

  for (const stream of [false, true]) {
    it(`refuses as having no available account when every listed candidate is gone (stream: ${stream})`, async () => {
      await assertEveryCandidateGone(cached, pools[stream ? 1 : 0] as Pool, stream);
    });
  }
});
