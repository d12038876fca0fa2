/**
 * The SSE relay at its edges, with every expected byte written out by hand: CRLF and LF line
 * endings split at every byte, comments and pings, frames of exactly the size it still holds,
 * every terminal event, several data lines (gateway-sse-relay-large.test.ts has large frames).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenUsageOf } from '#shared/gateway/responses-stream-events.ts';
import { HOLD_LIMIT, SseRelay } from '#shared/gateway/sse-relay.ts';
import {
  PADDING,
  pushLarge,
  relayed,
  relayWithFrameListener,
  USAGE,
  USAGE_JSON,
} from '../support/relay-feed.ts';

describe('SseRelay, CRLF and LF', () => {
  const crlf =
    'event: response.created\r\ndata: {"type":"response.created","sequence_number":0,"response":{"model":"gpt-5.1-codex"}}\r\n\r\n' +
    ': keep-alive\r\n\r\n' +
    'event: response.output_text.delta\r\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"abc"}\r\n\r\n' +
    'event: response.output_text.delta\r\ndata: {"type":"response.output_text.delta","sequence_number":2,"delta":"de"}\r\n\r\n' +
    `event: response.completed\r\ndata: {"type":"response.completed","sequence_number":3,"response":{"model":"gpt-5.1-codex","usage":${USAGE_JSON}}}\r\n\r\n`;
  const rewritten = crlf.replaceAll('"model":"gpt-5.1-codex"', '"model":"gpt-5"');

  it('forwards a CRLF stream byte for byte and reads it whatever byte a chunk ends at', () => {
    const length = Buffer.byteLength(crlf);
    for (let cut = 0; cut <= length; cut++) {
      const relay = new SseRelay();
      assert.equal(relayed(relay, crlf, [cut]), crlf, `cut at ${cut}`);
      assert.deepEqual(relay.usage, USAGE, `cut at ${cut}`);
      assert.equal(relay.terminalEvent, 'response.completed', `cut at ${cut}`);
      assert.equal(relay.observed?.chars, 5, `cut at ${cut}`);
      assert.equal(relay.nextSequenceNumber, 4, `cut at ${cut}`);
    }
  });

  it('cut twice anywhere, forwards each frame only once it is whole', () => {
    // Each frame's end, in bytes: what may have been forwarded after each chunk.
    const ends: number[] = [];
    for (let at = crlf.indexOf('\r\n\r\n'); at !== -1; at = crlf.indexOf('\r\n\r\n', at + 1))
      ends.push(at + 4);
    const length = Buffer.byteLength(crlf);
    for (let first = 1; first < length; first += 7) {
      for (const second of [first + 1, first + 2, length - 1]) {
        if (second <= first || second >= length) continue;
        const relay = new SseRelay();
        const bytes = Buffer.from(crlf);
        const a = relay.push(bytes.subarray(0, first));
        const b = relay.push(bytes.subarray(first, second));
        const c = relay.push(bytes.subarray(second));
        const whole = (upTo: number) => Math.max(0, ...ends.filter((end) => end <= upTo));
        assert.equal(a.length, whole(first), `cuts ${first}, ${second}`);
        assert.equal(a.length + b.length, whole(second), `cuts ${first}, ${second}`);
        assert.equal(Buffer.concat([a, b, c]).toString(), crlf);
      }
    }
  });

  it('rewrites the model in a CRLF stream fed one byte at a time', () => {
    const relay = new SseRelay({ rewrite: { from: 'gpt-5.1-codex', to: 'gpt-5' }, keepFinalResponse: true });
    const cuts = Array.from({ length: Buffer.byteLength(crlf) }, (_, index) => index);
    assert.equal(relayed(relay, crlf, cuts), rewritten);
    assert.equal(relay.finalResponse?.model, 'gpt-5');
    assert.deepEqual(relay.usage, USAGE);
  });

  it('ends a frame at a blank line of CRLF after LF lines, and a lone CR is not a blank line', () => {
    const relay = new SseRelay();
    // "\r" then "x" then "\n": a line with content, so the frame goes on.
    const first = relay.push(Buffer.from('data: {"type":"response.output_text.delta","delta":"a"}\n\r'));
    const second = relay.push(Buffer.from('x\n'));
    const third = relay.push(Buffer.from('\r\n'));
    assert.deepEqual([first.length, second.length], [0, 0]);
    assert.equal(third.toString(), 'data: {"type":"response.output_text.delta","delta":"a"}\n\rx\n\r\n');
  });

  it('takes a piece that starts with CR and goes on for a line with content', () => {
    const relay = new SseRelay();
    const frame = 'data: {"type":"response.output_text.delta","delta":"ab"}\n';
    assert.equal(relay.push(Buffer.from(frame)).length, 0);
    assert.equal(relay.push(Buffer.from('\rx')).length, 0);
    assert.equal(relay.push(Buffer.from('\n')).length, 0, 'the line CR x is not blank');
    assert.equal(relay.push(Buffer.from('\n')).toString(), `${frame}\rx\n\n`);
  });

  it('forwards a blank line that starts the stream at once', () => {
    const relay = new SseRelay();
    assert.equal(relay.push(Buffer.from('\n')).toString(), '\n');
    assert.equal(relay.nextSequenceNumber, 0);
  });

  it('does not take a chunk ending in a lone CR for a line with content', () => {
    const relay = new SseRelay();
    const frame = 'data: {"type":"response.output_text.delta","delta":"ab"}\n';
    const first = relay.push(Buffer.from(`${frame}\r`));
    const second = relay.push(Buffer.from('\n'));
    assert.equal(first.length, 0);
    assert.equal(second.toString(), `${frame}\r\n`);
    assert.equal(relay.observed?.chars, 2);
  });
});

describe('SseRelay, comments and pings', () => {
  it('passes comments and pings on unread, between frames and inside one', () => {
    const stream =
      ':\n\n' +
      ': ping\n\n' +
      'event: response.output_text.delta\n: a comment inside the frame\ndata: {"type":"response.output_text.delta","delta":"xyz","sequence_number":9}\n\n' +
      ':\n\n';
    const relay = new SseRelay();
    assert.equal(relay.push(Buffer.from(stream)).toString(), stream);
    assert.equal(relay.observed?.chars, 3);
    assert.equal(relay.nextSequenceNumber, 10);
    assert.equal(relay.upstreamError, false);
    assert.equal(relay.terminalEvent, undefined);
  });

  it('forwards each ping as soon as its blank line arrives', () => {
    const relay = new SseRelay();
    assert.equal(relay.push(Buffer.from(':')).length, 0);
    assert.equal(relay.push(Buffer.from('\n')).length, 0);
    assert.equal(relay.push(Buffer.from('\n')).toString(), ':\n\n');
  });
});

describe('SseRelay, what a held frame says', () => {
  const terminals = ['response.completed', 'response.incomplete', 'response.failed', 'response.done'];
  for (const type of terminals) {
    it(`reads the usage of ${type}`, () => {
      const relay = new SseRelay({ keepFinalResponse: true });
      relay.push(Buffer.from(`data: {"type":"${type}","response":{"id":"r1","usage":${USAGE_JSON}}}\n\n`));
      assert.deepEqual(relay.usage, USAGE);
      assert.equal(relay.terminalEvent, type);
      assert.equal(relay.finalResponse?.id, 'r1');
    });
  }

  it('takes the type from the event line over the JSON, with or without a space after the colon', () => {
    const relay = new SseRelay();
    relay.push(
      Buffer.from(`event:response.completed\ndata: {"type":"other","response":{"usage":${USAGE_JSON}}}\n\n`),
    );
    assert.equal(relay.terminalEvent, 'response.completed');
    assert.deepEqual(relay.usage, USAGE);
  });

  it('ignores a non-terminal event that carries a response with usage', () => {
    const relay = new SseRelay();
    relay.push(Buffer.from(`data: {"type":"response.in_progress","response":{"usage":${USAGE_JSON}}}\n\n`));
    assert.equal(relay.usage, undefined);
    assert.equal(relay.terminalEvent, undefined);
  });

  it('joins several data lines with a newline, as an SSE client does, with or without the space', () => {
    const relay = new SseRelay();
    const frame = `data: {"type":"response.completed",\ndata:"response":{"usage":\ndata: ${USAGE_JSON}}}\n\n`;
    assert.equal(relay.push(Buffer.from(frame)).toString(), frame);
    assert.deepEqual(relay.usage, USAGE);
  });

  it('keeps the line break between data lines, so a JSON string broken over two is no text', () => {
    const relay = new SseRelay();
    // The data is `{"type":…,"delta":"ab\ncd"}`: a raw line break inside a string is not JSON.
    relay.push(Buffer.from('data: {"type":"response.output_text.delta","delta":"ab\ndata: cd"}\n\n'));
    assert.equal(relay.observed?.chars, 0);
  });

  it('keeps the text of a delta whose data line has no space after the colon, and leaves [DONE] alone', () => {
    const relay = new SseRelay();
    relay.push(Buffer.from('data:{"type":"response.output_text.delta","delta":"fo ur"}\n\ndata: [DONE]\n\n'));
    assert.equal(relay.observed?.chars, 5);
    assert.equal(relay.terminalEvent, undefined);
  });

  it('counts no text and notes no first delta for an audio delta', () => {
    const relay = new SseRelay({ now: () => 5 });
    relay.push(Buffer.from('data: {"type":"response.audio.delta","delta":"AAAA"}\n\n'));
    assert.equal(relay.firstDeltaAt, undefined);
    assert.equal(relay.observed?.chars, 0);
  });

  it('keeps the highest sequence number seen, through frames that carry none', () => {
    const relay = new SseRelay();
    relay.push(
      Buffer.from(
        'data: {"type":"a","sequence_number":12}\n\ndata: {"type":"b","sequence_number":3}\n\ndata: {"type":"c"}\n\n',
      ),
    );
    assert.equal(relay.nextSequenceNumber, 13);
  });

  it('reads a terminal event without a response, and tells a listener without event() nothing', () => {
    const { relay, frames } = relayWithFrameListener();
    const text = 'data: {"type":"response.failed"}\n\n';
    assert.equal(relayed(relay, text), text);
    assert.deepEqual([relay.terminalEvent, relay.usage, frames], ['response.failed', undefined, [text]]);
  });

  it('collects no text when told not to', () => {
    const relay = new SseRelay({ observeText: false });
    relay.push(Buffer.from('data: {"type":"response.output_text.delta","delta":"x"}\n\n'));
    assert.equal(relay.observed, undefined);
  });

  it('leaves a stream that ended between frames whole: nothing held, nothing mid-frame', () => {
    const relay = new SseRelay();
    const frame = 'data: {"type":"response.output_text.delta","delta":"x"}\n\n';
    assert.equal(relay.push(Buffer.from(frame)).toString(), frame);
    assert.equal(relay.flush().length, 0);
    assert.equal(relay.midFrame, false);
  });
});

describe('SseRelay, the hold limit', () => {
  /** A delta frame's first `size` bytes (it never ends within them). */
  const head = (size: number) => {
    const text = `data: {"type":"response.output_text.delta","delta":"${PADDING}`;
    return Buffer.from(text).subarray(0, size);
  };

  it(`holds a frame of ${HOLD_LIMIT} bytes and passes one of a byte more as it comes`, () => {
    const held = new SseRelay();
    assert.equal(held.push(head(HOLD_LIMIT)).length, 0);
    const passed = new SseRelay();
    assert.equal(passed.push(head(HOLD_LIMIT + 1)).toString(), head(HOLD_LIMIT + 1).toString());
  });

  it('counts the held bytes across chunks', () => {
    const relay = new SseRelay();
    const bytes = head(HOLD_LIMIT + 1);
    assert.equal(relay.push(bytes.subarray(0, HOLD_LIMIT - 10)).length, 0);
    assert.equal(relay.push(bytes.subarray(HOLD_LIMIT - 10, HOLD_LIMIT)).length, 0);
    assert.equal(relay.push(bytes.subarray(HOLD_LIMIT)).toString(), bytes.toString());
  });

  it('holds the next frame again after a large one passed', () => {
    const relay = new SseRelay();
    const large = `data: {"type":"response.output_text.delta","delta":"${PADDING}"}\n\n`;
    const small = 'data: {"type":"response.output_text.delta","delta":"z"}\n\n';
    assert.equal(pushLarge(relay, large), large);
    assert.equal(relay.push(Buffer.from(small.slice(0, 20))).length, 0);
    assert.equal(relay.push(Buffer.from(small.slice(20))).toString(), small);
    assert.equal(relay.observed?.chars, PADDING.length + 1);
  });
});

describe('tokenUsageOf', () => {
  it('rounds fractional counts down and counts non-finite ones as zero', () => {
    assert.deepEqual(
      tokenUsageOf({
        input_tokens: 7.9,
        input_tokens_details: { cached_tokens: Number.POSITIVE_INFINITY },
        output_tokens: 2.5,
        output_tokens_details: { reasoning_tokens: Number.NaN },
      }),
      { inputTokens: 7, cachedInputTokens: 0, outputTokens: 2, reasoningTokens: 0 },
    );
    assert.equal(tokenUsageOf('12'), undefined);
  });
});
