import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keptLogLines, testLogger } from '../support/test-logs.ts';

describe('the test log of stacks under test', () => {
  it('keeps the lines of a logger and of its children instead of writing them to stdout or stderr', () => {
    // Prepare
    const written: string[] = [];
    const streams = [process.stdout, process.stderr] as const;
    const writes = streams.map((stream) => stream.write.bind(stream));
    const logger = testLogger('test-logs');
    logger.setLogLevel('INFO');
    for (const stream of streams) {
      stream.write = ((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      }) as typeof stream.write;
    }

    // Act
    try {
      logger.error('parent line', { marker: 'kept-1' });
      logger.createChild({ persistentKeys: { requestId: 'req_kept' } }).info('child line');
    } finally {
      streams.forEach((stream, index) => {
        stream.write = writes[index] as typeof stream.write;
      });
    }

    // Assess
    assert.deepEqual(written, []);
    const lines = keptLogLines().map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      lines.map(({ level, message, service, marker, requestId }) => ({
        level,
        message,
        service,
        marker,
        requestId,
      })),
      [
        {
          level: 'ERROR',
          message: 'parent line',
          service: 'test-logs',
          marker: 'kept-1',
          requestId: undefined,
        },
        {
          level: 'INFO',
          message: 'child line',
          service: 'test-logs',
          marker: undefined,
          requestId: 'req_kept',
        },
      ],
    );
  });

  it('starts each test with no lines: those of a passing test are forgotten', () => {
    assert.deepEqual(keptLogLines(), []);
  });
});
