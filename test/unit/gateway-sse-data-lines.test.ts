/**
 * The data-line reader of frames too large to hold, on its own: what reaches its scanners is
 * the frame's `data:` lines joined with a line break, as an SSE client joins them, whatever byte
 * the pieces end at; event, id and comment lines are not data, however short or long.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonScanner } from '#shared/gateway/json-scanner.ts';
import { DataLines } from '#shared/gateway/sse-data-lines.ts';

/** Feeds `frame` to a fresh reader in pieces cut at `cuts`; returns what its scanners read. */
function read(frame: string, cuts: number[]) {
  const usage = new JsonScanner({ capture: ['response', 'usage'] });
  const texts: string[] = [];
  const delta = new JsonScanner({ text: ['delta'], onText: (piece) => texts.push(piece) });
  const lines = new DataLines([usage, delta]);
  const bytes = Buffer.from(frame);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    lines.push(bytes.subarray(from, cut));
    from = cut;
  }
  return { captured: usage.captured, closed: usage.closed, text: texts.join('') };
}

/** Every way of cutting `frame` once, and byte by byte. */
function everyCut(frame: string): number[][] {
  const length = Buffer.byteLength(frame);
  const once = Array.from({ length: length + 1 }, (_, cut) => [cut]);
  return [...once, Array.from({ length }, (_, index) => index)];
}

describe('DataLines', () => {
  it('joins data lines with a line break, with or without the space after the colon, at every cut', () => {
    const frame =
      ': {"open":\n' +
      'event: response.completed\n' +
      ':\n' +
      'id: 7\n' +
      'data: {"type":"response.completed","delta":"héllo",\n' +
      ': between\n' +
      'data:"response":{"usage":{"input_tokens":1,\n' +
      'data: "output_tokens":2}}}\n' +
      ': 123data: {"response":{"usage":{"input_tokens":998}}}\n' +
      '\n';
    for (const cuts of everyCut(frame)) {
      assert.deepEqual(
        read(frame, cuts),
        { captured: '{"input_tokens":1,\n"output_tokens":2}', closed: true, text: 'héllo' },
        `cuts ${cuts.join(',')}`,
      );
    }
  });

  it('hands a string broken over two data lines on with its line break, which no JSON string may hold', () => {
    const frame = 'data: {"delta":"ab\ndata: cd","response":{"usage":{}}}\n\n';
    for (const cuts of everyCut(frame)) {
      // The SSE data is `{"delta":"ab\ncd",…}`: not JSON, so its text is not counted.
      assert.equal(read(frame, cuts).text, '', `cuts ${cuts.join(',')}`);
    }
  });

  it('reads a data line after lines shorter than its field name', () => {
    const frame = ':\nid:\n\ndata:{"delta":"x"}\n';
    for (const cuts of everyCut(frame)) assert.equal(read(frame, cuts).text, 'x', `cuts ${cuts.join(',')}`);
  });

  it('reads CRLF lines, the carriage return being whitespace after the JSON', () => {
    const frame = 'event: response.completed\r\ndata: {"response":{"usage":{"output_tokens":3}}}\r\n\r\n';
    for (const cuts of everyCut(frame)) {
      assert.deepEqual(
        read(frame, cuts),
        { captured: '{"output_tokens":3}', closed: true, text: '' },
        `cuts ${cuts.join(',')}`,
      );
    }
  });
});
