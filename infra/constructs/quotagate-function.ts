/**
 * Every quotagate Lambda function: a NodejsFunction bundled by the project's own esbuild (no
 * Docker) that pins what must not differ between functions: Node.js 24 on ARM_64, ESM output
 * with source maps, a log group with retention, JSON logs at the configured level, Powertools'
 * service and namespace, and a role of its own that starts with nothing but writing to that log
 * group. Callers add the table and bus permissions the function actually uses.
 *
 * Adding a function is one construct:
 * @example
 * ```ts
 * const admin = new QuotagateFunction(this, 'AdminApi', {
 *   entry: 'functions/admin/handler.ts', serviceName: 'admin', memorySize: 256,
 *   timeout: Duration.seconds(30), ...observability,
 * });
 * ```
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  type IDestination,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
} from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { BUNDLE_ALIAS, BUNDLE_BANNER, BUNDLING } from '../bundling.ts';
import type { LogLevel } from '../stack-config.ts';

/** The project root: entries, package.json and the lockfile are resolved against it. */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Namespace of the Powertools (EMF) metrics every function publishes. */
export const METRICS_NAMESPACE = 'Quotagate';

/** Settings every function of one deployment shares. */
export interface FunctionObservability {
  readonly stage: string;
  readonly logLevel: LogLevel;
  readonly logRetention: RetentionDays;
}

export interface QuotagateFunctionProps extends FunctionObservability {
  /** Handler file relative to the project root; it exports `handler`. */
  readonly entry: string;
  /** Powertools service name (`POWERTOOLS_SERVICE_NAME`), e.g. `gateway`. */
  readonly serviceName: string;
  /** Required, never the 128 MB default: choose it from measurement and say why at the call. */
  readonly memorySize: number;
  /** Required, never the 3 s default. */
  readonly timeout: Duration;
  readonly description?: string;
  readonly environment?: Readonly<Record<string, string>>;
  /** Packages installed beside the bundle (from the lockfile) and imported from disk, not bundled. */
  readonly nodeModules?: readonly string[];
  /** Paths under the installed node_modules that are never loaded, removed after install. */
  readonly nodeModulesUnused?: readonly string[];
  readonly reservedConcurrentExecutions?: number;
  /** Asynchronous invocations only: retries Lambda makes after a failed attempt. */
  readonly retryAttempts?: number;
  /** Asynchronous invocations only: oldest event Lambda still tries to process. */
  readonly maxEventAge?: Duration;
  /** Asynchronous invocations only: where an event goes once its retries are spent. */
  readonly onFailure?: IDestination;
}

/** Removes `unused` (paths under node_modules) and every source map and typing from the asset. */
function pruneAfterInstall(unused: readonly string[]): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => [
      `rm -rf ${unused.map((path) => `"${outputDir}/node_modules/${path}"`).join(' ')}`,
      `find "${outputDir}/node_modules" \\( -name '*.map' -o -name '*.d.ts' \\) -type f -delete`,
    ],
  };
}

export class QuotagateFunction extends NodejsFunction {
  /** The function's log group (retention set, removed with the stack). */
  readonly logs: LogGroup;
  /** Its POWERTOOLS_SERVICE_NAME: the `service` dimension of the EMF metrics it writes. */
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: QuotagateFunctionProps) {
    const logs = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own: the default one carries AWSLambdaBasicExecutionRole, whose log
    // permissions cover every log group in the account.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `quotagate ${props.stage} ${props.serviceName} function`,
    });
    super(scope, id, {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup: logs,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[props.logLevel],
      systemLogLevelV2: SystemLogLevel.WARN,
      ...(props.description ? { description: props.description } : {}),
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      ...(props.retryAttempts !== undefined ? { retryAttempts: props.retryAttempts } : {}),
      ...(props.maxEventAge ? { maxEventAge: props.maxEventAge } : {}),
      ...(props.onFailure ? { onFailure: props.onFailure } : {}),
      environment: {
        QG_STAGE: props.stage,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        // Kept equal to the Lambda application log level, which Powertools obeys first anyway.
        POWERTOOLS_LOG_LEVEL: props.logLevel,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        banner: BUNDLE_BANNER,
        mainFields: [...BUNDLING.mainFields],
        target: BUNDLING.target,
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        sourcesContent: BUNDLING.sourcesContent,
        esbuildArgs: Object.fromEntries(
          Object.entries(BUNDLE_ALIAS).map(([from, to]) => [`--alias:${from}`, to]),
        ),
        // Bundle the SDK at the lockfile's version rather than the runtime's: what the tests ran
        // against is what runs, and tree-shaking keeps cold starts short.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        ...(props.nodeModules ? { nodeModules: [...props.nodeModules] } : {}),
        ...(props.nodeModulesUnused ? { commandHooks: pruneAfterInstall(props.nodeModulesUnused) } : {}),
      },
    });
    this.logs = logs;
    this.serviceName = props.serviceName;
    logs.grantWrite(role);
    Validations.of(this).acknowledge({
      id: 'Serverless-LambdaTracing',
      reason:
        'X-Ray is off on purpose: no tracer is bundled, so an active trace would only repeat the Duration metric, ' +
        'while adding xray:Put* on Resource "*" to the role and a per-trace charge for every multi-minute stream. ' +
        'Per-request timing (duration, time to first token) is recorded in each usage record.',
    });
  }
}
