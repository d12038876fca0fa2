/**
 * The fixed-path profile's summary (bench/profile-summary.ts, `summariseByFunction`): a profile
 * built by hand, whose per-request figures are worked out below, read back from the printed
 * lines.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summariseByFunction } from '../../bench/profile-summary.ts';

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

/**
 * (root) → serve (ours, line 10) → writeUtf8String (native); (root) → onSocketNT (Node, no frame of
 * ours above it); (root) → (idle). Samples: 100 + 200 µs in writeUtf8String under serve, 50 µs in
 * serve itself, 40 µs in onSocketNT, 1,000 µs idle; 2 requests.
 */
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 4, 5] },
    { id: 2, callFrame: frame('serve', 'file:///repo/shared/gateway/serve.ts', 9), children: [3] },
    { id: 3, callFrame: frame('writeUtf8String', '') },
    { id: 4, callFrame: frame('onSocketNT', 'node:_http_client', 1154) },
    { id: 5, callFrame: frame('(idle)', '') },
  ],
  samples: [3, 3, 2, 4, 5],
  timeDeltas: [100, 200, 50, 40, 1000],
};

/** The section's lines, `µs name` each, after its heading. */
function section(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('  '));
  return lines
    .slice(start + 1, end === -1 ? undefined : end)
    .map((line) => line.trim().replace(/\s+µs\/req\s+/, ' '));
}

describe('summariseByFunction', () => {
  it('divides busy time by requests, inclusive, self and by the innermost function of ours, idle left out', () => {
    // Act
    const text = summariseByFunction(JSON.stringify(profile), 2);

    // Assess: busy 390 µs / 2; serve's stack holds 350 µs of it, the native write 300, Node's 40.
    assert.match(text, /^busy 195 µs\/req over 2 requests/);
    assert.deepEqual(section(text, 'Inclusive'), [
      '195.0 (root) (native):1',
      '175.0 serve shared/gateway/serve.ts:10',
      '150.0 writeUtf8String (native):1',
      '20.0 onSocketNT node:_http_client:1155',
    ]);
    assert.deepEqual(section(text, 'Self'), [
      '150.0 writeUtf8String (native):1',
      '25.0 serve shared/gateway/serve.ts:10',
      '20.0 onSocketNT node:_http_client:1155',
    ]);
    assert.deepEqual(section(text, 'Self plus'), [
      '175.0 serve shared/gateway/serve.ts:10',
      '20.0 (runtime, no project frame) node:_http_client',
    ]);
  });
});
