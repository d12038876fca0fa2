import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Logger } from '@aws-lambda-powertools/logger';
import { requestLogger } from '#shared/gateway/request-logger.ts';

/** Powertools' own Logger, keeping the children it builds so the test can look at them. */
class WatchedLogger extends Logger {
  readonly children: Logger[] = [];

  override createChild(options?: Parameters<Logger['createChild']>[0]): Logger {
    const child = super.createChild(options);
    this.children.push(child);
    return child;
  }
}

// A level above every line the tests write: nothing reaches the test's output.
const quiet = () => new WatchedLogger({ serviceName: 'quotagate-gateway', logLevel: 'SILENT' });

describe('a request logger', { timeout: 10_000 }, () => {
  it('builds no child logger for a request that logs nothing', () => {
    const base = quiet();

    requestLogger(base, 'req_1');

    assert.equal(base.children.length, 0);
  });

  it("builds one child carrying the request's id at its first line, and keeps it for the next", () => {
    const base = quiet();
    const logger = requestLogger(base, 'req_2');

    logger.warn('first', { accountId: 'acct_1' });
    logger.error('second', new Error('boom'));
    logger.info('third');

    assert.equal(base.children.length, 1);
    assert.deepEqual(base.children[0]?.getPersistentLogAttributes(), { requestId: 'req_2' });
  });

  it("takes the base logger's level when the child is built", () => {
    const base = quiet();
    base.setLogLevel('WARN');
    const logger = requestLogger(base, 'req_3');

    assert.equal(logger.getLevelName(), 'WARN');
  });
});
