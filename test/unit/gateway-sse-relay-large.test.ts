/**
 * Frames larger than the SSE relay holds, which pass as their bytes arrive: what their head
 * says (type, sequence number), what is scanned while they pass (usage of every terminal event,
 * delta text), a frame cut by the end of the stream, and what a listener is told of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonScanner } from '#shared/gateway/json-scanner.ts';
import { HOLD_LIMIT, SseRelay } from '#shared/gateway/sse-relay.ts';
import {
  PADDING,
  pushLarge,
  relayed,
  relayWithFrameListener,
  USAGE,
  USAGE_JSON,
} from '../support/relay-feed.ts';

describe('SseRelay, what a large frame says', () => {
  const terminals = ['response.completed', 'response.incomplete', 'response.failed', 'response.done'];
  for (const type of terminals) {
    it(`reads the usage of a large ${type}, fed in pieces`, () => {
      const frame = `event: ${type}\ndata: {"type":"${type}","response":{"output_text":"${PADDING}","usage":${USAGE_JSON}}}\n\n`;
      const relay = new SseRelay();
      const cuts = [100, HOLD_LIMIT, HOLD_LIMIT + 3, Buffer.byteLength(frame) - 5];
      assert.equal(relayed(relay, frame, cuts), frame);
      assert.deepEqual(relay.usage, USAGE);
      assert.equal(relay.terminalEvent, type);
    });
  }

  it('takes the type of a large frame without an event line from its JSON, and of one with "event:" and no space', () => {
    const fromJson = new SseRelay();
    pushLarge(
      fromJson,
      `data: {"type":"response.completed","response":{"x":"${PADDING}","usage":${USAGE_JSON}}}\n\n`,
    );
    assert.deepEqual([fromJson.terminalEvent, fromJson.usage], ['response.completed', USAGE]);
    const noSpace = new SseRelay();
    pushLarge(
      noSpace,
      `event:response.done\r\ndata: {"type":"x","response":{"x":"${PADDING}","usage":${USAGE_JSON}}}\r\n\r\n`,
    );
    assert.deepEqual([noSpace.terminalEvent, noSpace.usage], ['response.done', USAGE]);
  });

  it('reads the type from pretty-printed JSON, and not from a comment that mentions data:', () => {
    const spaced = new SseRelay();
    pushLarge(
      spaced,
      `data: {"type" : "response.completed", "response":{"x":"${PADDING}","usage":${USAGE_JSON}}}\n\n`,
    );
    assert.deepEqual([spaced.terminalEvent, spaced.usage], ['response.completed', USAGE]);
    const commented = new SseRelay();
    pushLarge(
      commented,
      `: relayed from data: {"type":"error"}\ndata: {"type":"response.completed","response":{"x":"${PADDING}","usage":${USAGE_JSON}}}\n\n`,
    );
    assert.deepEqual([commented.terminalEvent, commented.upstreamError], ['response.completed', false]);
  });

  it('keeps a large terminal frame whole for a JSON client and reads the final response from it', () => {
    const relay = new SseRelay({ keepFinalResponse: true });
    const frame = `data: {"type":"response.completed","response":{"id":"resp_large","x":"${PADDING}","usage":${USAGE_JSON}}}\n\n`;
    assert.equal(pushLarge(relay, frame), frame);
    assert.deepEqual(
      [relay.finalResponse?.id, relay.usage, relay.terminalEvent],
      ['resp_large', USAGE, 'response.completed'],
    );
  });

  it('reads a large terminal frame that lacks its blank line when the upstream ends', () => {
    const relay = new SseRelay();
    const frame = `data: {"type":"response.completed","response":{"x":"${PADDING}","usage":${USAGE_JSON}}}`;
    assert.equal(pushLarge(relay, frame), frame);
    assert.deepEqual([relay.terminalEvent, relay.usage], ['response.completed', USAGE]);
  });

  it('reads the type from the event line, not from text that mentions event: in the data', () => {
    const lf = new SseRelay();
    pushLarge(
      lf,
      `event: response.completed\ndata: {"type":"x","response":{"x":"${PADDING}","usage":${USAGE_JSON}}}\n\n`,
    );
    assert.deepEqual([lf.terminalEvent, lf.usage], ['response.completed', USAGE]);
    const mention = new SseRelay();
    pushLarge(mention, `data: {"type":"response.output_text.delta","delta":"event: x ${PADDING}"}\n\n`);
    assert.equal(mention.observed?.chars, `event: x ${PADDING}`.length);
  });

  it('collects no text of a large delta when told not to', () => {
    const relay = new SseRelay({ observeText: false });
    const frame = `data: {"type":"response.output_text.delta","delta":"${PADDING}"}\n\n`;
    assert.equal(pushLarge(relay, frame), frame);
    assert.equal(relay.observed, undefined);
  });

  it('does not take a large non-terminal event for the end', () => {
    const relay = new SseRelay();
    pushLarge(
      relay,
      `event: response.output_item.done\ndata: {"type":"response.output_item.done","response":{"usage":${USAGE_JSON}},"x":"${PADDING}"}\n\n`,
    );
    assert.deepEqual([relay.terminalEvent, relay.usage, relay.upstreamError], [undefined, undefined, false]);
  });

  it('notes a large upstream error event, and the first delta and its text when a large delta comes first', () => {
    const error = new SseRelay();
    pushLarge(error, `event: error\ndata: {"type":"error","code":"server_error","message":"${PADDING}"}\n\n`);
    assert.equal(error.upstreamError, true);
    assert.equal(error.terminalEvent, undefined);

    const delta = new SseRelay({ now: () => 77 });
    pushLarge(delta, `data: {"type":"response.output_text.delta","delta":"${PADDING}"}\n\n`);
    assert.equal(delta.firstDeltaAt, 77);
    assert.equal(delta.observed?.chars, PADDING.length);
    assert.equal(delta.upstreamError, false);
  });

  it('counts no text of a large audio delta', () => {
    const relay = new SseRelay({ now: () => 1 });
    pushLarge(relay, `data: {"type":"response.audio.delta","delta":"${PADDING}"}\n\n`);
    assert.equal(relay.firstDeltaAt, undefined);
    assert.equal(relay.observed?.chars, 0);
  });

  it('reads a large delta spread over several data lines as one JSON text', () => {
    const relay = new SseRelay();
    const frame = `data: {"type":"response.output_text.delta",\ndata:"delta":"${PADDING}"}\n\n`;
    assert.equal(relayed(relay, frame, [3, 40, 41, 42, HOLD_LIMIT + 2]), frame);
    assert.equal(relay.observed?.chars, PADDING.length);
  });

  it('keeps the highest sequence number of a large frame’s head', () => {
    const relay = new SseRelay();
    relay.push(Buffer.from('data: {"type":"a","sequence_number":40}\n\n'));
    pushLarge(
      relay,
      `data: {"type":"response.output_text.delta","sequence_number":41,"delta":"${PADDING}"}\n\n`,
    );
    assert.equal(relay.nextSequenceNumber, 42);
  });

  it('says so when a large frame was cut by the end of the stream, and reads no usage from it', () => {
    const relay = new SseRelay();
    const frame = `data: {"type":"response.completed","response":{"x":"${PADDING}","usage":${USAGE_JSON}}}\n\n`;
    const cut = Buffer.byteLength(frame) - 20;
    relay.push(Buffer.from(frame).subarray(0, cut));
    assert.equal(relay.flush().length, 0);
    assert.deepEqual([relay.midFrame, relay.terminalEvent, relay.usage], [true, undefined, undefined]);
  });

  it('passes a malformed large terminal frame on and keeps the usage it had', () => {
    const relay = new SseRelay({ keepFinalResponse: true });
    const frame = `data: {"type":"response.completed","response":{"x":"${PADDING}" oops}\n\n`;
    assert.equal(pushLarge(relay, frame), frame);
    assert.deepEqual([relay.finalResponse, relay.usage], [undefined, undefined]);
  });
});

describe('SseRelay, a listener', () => {
  it('is told of each held event, parsed, and may change each held frame', () => {
    const events: unknown[] = [];
    const relay = new SseRelay({
      listener: {
        event: (event) => events.push(event),
        frame: (text) => text.replace('"hi"', '"HI"'),
      },
    });
    const out = relayed(relay, 'data: {"type":"x","v":"hi"}\n\ndata: not json\n\n');
    assert.equal(out, 'data: {"type":"x","v":"HI"}\n\ndata: not json\n\n');
    assert.deepEqual(events, [{ type: 'x', v: 'hi' }]);
  });

  it('reads a large frame through its own scanner, and is told it ended only when it came whole', () => {
    const seen: [string | undefined, string][] = [];
    let ended = 0;
    const scanners: JsonScanner[] = [];
    const relay = new SseRelay({
      listener: {
        largeFrame: (type, head) => {
          seen.push([type, head.slice(0, 40)]);
          const scanner = new JsonScanner({ capture: ['tail'] });
          scanners.push(scanner);
          return { scanner, end: () => ended++ };
        },
      },
    });
    const frame = `event: custom\ndata: {"type":"custom","pad":"${PADDING}","tail":{"n":1}}\n\n`;
    relayed(relay, frame, [1000, HOLD_LIMIT + 10]);
    assert.deepEqual(seen, [['custom', frame.slice(0, 40)]]);
    assert.equal(scanners[0]?.captured, '{"n":1}');
    assert.equal(ended, 1);

    const cut = new SseRelay({
      listener: {
        largeFrame: () => ({ scanner: new JsonScanner({ capture: ['tail'] }), end: () => ended++ }),
      },
    });
    cut.push(Buffer.from(frame).subarray(0, Buffer.byteLength(frame) - 20));
    cut.flush();
    assert.equal(ended, 1, 'a frame cut short is not whole');
  });

  it('lets the relay read a large terminal frame’s usage beside the listener’s scanner', () => {
    let ended = 0;
    const relay = new SseRelay({
      listener: { largeFrame: () => ({ scanner: new JsonScanner({ capture: ['x'] }), end: () => ended++ }) },
    });
    pushLarge(
      relay,
      `data: {"type":"response.completed","response":{"x":"${PADDING}","usage":${USAGE_JSON}}}\n\n`,
    );
    assert.deepEqual([relay.terminalEvent, relay.usage, ended], ['response.completed', USAGE, 1]);
  });

  it('asks a listener without largeFrame() nothing, and calls frame() once per held frame only', () => {
    const { relay, frames } = relayWithFrameListener();
    const small = 'data: {"type":"a"}\n\n';
    const large = `data: {"type":"response.output_text.delta","delta":"${PADDING}"}\n\n`;
    assert.equal(relayed(relay, small + large, [Buffer.byteLength(small) + HOLD_LIMIT + 1]), small + large);
    assert.deepEqual(frames, [small]);
    assert.equal(relay.observed?.chars, PADDING.length);
  });

  it('may skip a large frame', () => {
    const relay = new SseRelay({ listener: { largeFrame: () => undefined } });
    pushLarge(relay, `data: {"type":"response.output_text.delta","delta":"${PADDING}"}\n\n`);
    assert.equal(relay.observed?.chars, PADDING.length);
  });
});
