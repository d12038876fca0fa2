/**
 * Mutation testing of the pure core: `npm run test:mutation` (not part of `npm test`; it takes
 * a while). Stryker changes one operator, condition or literal at a time in the files below and
 * runs the unit tests that cover it; a mutant no test notices "survives". Surviving mutants are
 * either killed with a test or explained where they are (an equivalent change).
 *
 * The tap runner starts each test file as `node <nodeArgs>`, with tsx for TypeScript; npm puts
 * the project's Node 24 first on PATH.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'tap',
  tap: {
    // The unit tests of the modules below; the rest of test/unit only costs time here.
    testFiles: [
      'test/unit/admin-money.test.ts',
      'test/unit/billing-*.test.ts',
      'test/unit/chat-*.test.ts',
      'test/unit/concurrency-session-hash.test.ts',
      'test/unit/errors.test.ts',
      'test/unit/gateway-*.test.ts',
    ],
    nodeArgs: ['-r', '{{hookFile}}', '--import', 'tsx', '--test-reporter=tap', '{{testFile}}'],
    forceBail: true,
  },
  mutate: [
    'shared/billing/cost.ts',
    'shared/billing/price-book.ts',
    'shared/billing/eligibility.ts',
    'shared/gateway/sse-relay.ts',
    'shared/gateway/responses-stream-events.ts',
    'shared/gateway/sse-data-lines.ts',
    'shared/gateway/json-scanner.ts',
    'shared/gateway/model-rewrite.ts',
    'shared/gateway/upstream-failure.ts',
    'shared/errors.ts',
    'shared/concurrency/session-hash.ts',
    'shared/admin/money.ts',
  ],
  coverageAnalysis: 'perTest',
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['cdk.out', '.quotagate', 'test-artifacts', 'bench/results', 'coverage'],
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: null },
};
