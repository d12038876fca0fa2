/**
 * The logger a gateway request is given: its lines carry the request's id. Powertools' child
 * logger costs about 0.1 ms of CPU to build (it re-reads its settings from the environment and
 * builds a formatter), and almost every request logs nothing, so the child is built on the
 * request's first line, not before; the lines are the same either way.
 *
 * @example
 * ```ts
 * const logger = requestLogger(baseLogger, request.requestId);
 * logger.warn('upstream refused the token', { accountId }); // builds the child now
 * ```
 */
import type { Logger } from '@aws-lambda-powertools/logger';

/** What the gateway's code logs with: the process's logger or a request's. */
export type GatewayLogger = Pick<
  Logger,
  'debug' | 'info' | 'warn' | 'error' | 'createChild' | 'getLevelName' | 'setLogLevel'
>;

/** A logger whose lines carry `requestId`, built from `base` when first used. */
export function requestLogger(base: GatewayLogger, requestId: string): GatewayLogger {
  let child: Logger | undefined;
  const logger = () => {
    child ??= base.createChild({ persistentKeys: { requestId } });
    return child;
  };
  // Reflect.apply: Powertools types a line's arguments as a union of tuples, which TypeScript
  // does not spread into the same signature.
  const lineAt =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: Parameters<Logger['info']>): void => {
      const child = logger();
      Reflect.apply(child[level], child, args);
    };
  return {
    debug: lineAt('debug'),
    info: lineAt('info'),
    warn: lineAt('warn'),
    error: lineAt('error'),
    createChild: (...args) => logger().createChild(...args),
    getLevelName: () => logger().getLevelName(),
    setLogLevel: (level) => logger().setLogLevel(level),
  };
}
