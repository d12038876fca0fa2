/**
 * Streamified handlers for exercising the local Function URL server: raw
 * `awslambda.streamifyResponse` handlers written the way the runtime's documentation shows, and a
 * middy handler in streamifyResponse mode returning `{ statusCode, headers, body: Readable }`, the
 * shape the gateway uses. Factories take an observer so tests can see what the handler saw.
 */
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import middy from '@middy/core';
import { executionModeStreamifyResponse } from '@middy/core/StreamifyResponse';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { installAwsLambdaShim } from '#local/awslambda-shim.ts';

// Handlers below are created after this line runs, so `awslambda` exists when they need it.
installAwsLambdaShim();

/** Writes `first`, waits `pauseMs`, writes `second`; status and headers come from the prelude. */
export function twoChunksHandler(pauseMs: number, firstDelayMs = 0) {
  return awslambda.streamifyResponse(async (_event, responseStream) => {
    const stream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 201,
      headers: { 'content-type': 'text/event-stream', 'x-test': 'prelude' },
      cookies: ['session=abc; Path=/', 'theme=dark'],
    });
    await sleep(firstDelayMs);
    stream.write('first');
    await sleep(pauseMs);
    stream.write('second');
    stream.end();
  });
}

/** Sends the prelude and ends without a single body byte. */
export const emptyBodyHandler = awslambda.streamifyResponse(async (_event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
  });
  stream.write('');
  stream.end();
});

/** Never writes a prelude: Lambda answers 200 with the declared (or octet-stream) content type. */
export function noPreludeHandler(contentType?: string) {
  return awslambda.streamifyResponse(async (_event, responseStream) => {
    if (contentType) responseStream.setContentType(contentType);
    responseStream.write('raw bytes');
    responseStream.end();
  });
}

/** Answers with the event and what the context reported, as JSON. */
export const echoEventHandler = awslambda.streamifyResponse(
  async (event: APIGatewayProxyEventV2, responseStream, context: Context) => {
    const stream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
    });
    const seen = {
      event,
      context: {
        awsRequestId: context.awsRequestId,
        functionName: context.functionName,
        remainingMs: context.getRemainingTimeInMillis(),
      },
    };
    stream.write(JSON.stringify(seen));
    stream.end();
  },
);

/** Counts invocations; answers `ok`. */
export function countingHandler(counter: { calls: number }) {
  return awslambda.streamifyResponse(async (_event, responseStream) => {
    counter.calls += 1;
    responseStream.setContentType('text/plain');
    responseStream.end('ok');
  });
}

export const throwsBeforeWriteHandler = awslambda.streamifyResponse(async () => {
  throw new Error('handler failed before writing');
});

export const throwsAfterWriteHandler = awslambda.streamifyResponse(async (_event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 200,
    headers: { 'content-type': 'text/plain' },
  });
  stream.write('partial');
  await sleep(20);
  throw new Error('handler failed after writing');
});

/** Writes `prefix` (if any), then never ends its stream: only the function timeout stops it. */
export function neverEndingHandler(prefix?: string) {
  return awslambda.streamifyResponse(async (_event, responseStream) => {
    if (prefix) {
      awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 }).write(prefix);
    }
    await once(responseStream, 'close');
  });
}

export interface ProducerObserver {
  /** Bytes the handler managed to hand to the response stream. */
  written: number;
  finished: boolean;
  /** Resolves once the handler's writes stop: with the stream's error when it was destroyed. */
  stopped: Promise<Error | undefined>;
}

/** Writes `totalBytes` in 64 KiB chunks, honouring backpressure as a well-behaved handler does. */
export function bulkProducerHandler(totalBytes: number) {
  let stop!: (error: Error | undefined) => void;
  const observer: ProducerObserver = {
    written: 0,
    finished: false,
    stopped: new Promise((resolve) => {
      stop = resolve;
    }),
  };
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const handler = awslambda.streamifyResponse(async (_event, responseStream) => {
    const stream = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200 });
    try {
      while (observer.written < totalBytes && !stream.destroyed) {
        observer.written += chunk.length;
        if (!stream.write(chunk)) await drainOrClose(stream);
      }
      if (stream.destroyed) return stop(stream.errored ?? new Error('closed without an error'));
      stream.end();
      observer.finished = true;
      stop(undefined);
    } catch (error) {
      stop(error as Error);
    }
  });
  return { handler, observer };
}

function drainOrClose(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('close', done);
      resolve();
    };
    stream.on('drain', done).on('close', done);
  });
}

export interface TickerObserver {
  /** Resolves with the error the body Readable was destroyed with. */
  destroyed: Promise<Error | null>;
  ticks: number;
}

/**
 * middy in streamifyResponse mode returning an endless SSE body: one tick every `intervalMs`
 * until the body is destroyed, which is what a client disconnect must cause.
 */
export function middyTickerHandler(intervalMs: number) {
  let markDestroyed!: (error: Error | null) => void;
  const observer: TickerObserver = {
    ticks: 0,
    destroyed: new Promise((resolve) => {
      markDestroyed = resolve;
    }),
  };
  const handler = middy<APIGatewayProxyEventV2, unknown, Error, Context>({
    executionMode: executionModeStreamifyResponse,
  }).handler(async () => {
    let timer: NodeJS.Timeout | undefined;
    const body = new Readable({
      read() {
        timer = setTimeout(() => {
          observer.ticks += 1;
          this.push(`data: tick ${observer.ticks}\n\n`);
        }, intervalMs);
      },
      destroy(error, callback) {
        clearTimeout(timer);
        markDestroyed(error);
        callback(error);
      },
    });
    return { statusCode: 200, headers: { 'content-type': 'text/event-stream' }, body };
  });
  return { handler, observer };
}

/** middy returning a fixed body, in the gateway's `{ statusCode, headers, body }` shape. */
export function middyStaticHandler(statusCode: number, body: string) {
  return middy<APIGatewayProxyEventV2, unknown, Error, Context>({
    executionMode: executionModeStreamifyResponse,
  }).handler(async () => ({
    statusCode,
    headers: { 'content-type': 'application/json', 'x-handler': 'middy' },
    body: Readable.from([Buffer.from(body)]),
  }));
}

/** middy whose body's first byte comes `delayMs` after the handler returned `{ statusCode, ... }`. */
export function middyLateBodyHandler(delayMs: number) {
  return middy<APIGatewayProxyEventV2, unknown, Error, Context>({
    executionMode: executionModeStreamifyResponse,
  }).handler(async () => ({
    statusCode: 202,
    headers: { 'content-type': 'text/event-stream' },
    body: Readable.from(
      (async function* () {
        await sleep(delayMs);
        yield Buffer.from('late');
      })(),
    ),
  }));
}
