/**
 * The gateway: the function that authenticates keys, holds slots and streams upstream answers,
 * behind a Function URL in RESPONSE_STREAM mode. The URL's auth is NONE on purpose: clients (Codex,
 * the `openai` SDK, curl) send an OpenAI-style bearer key, which the gateway checks against the
 * key hashes in the Config table; IAM auth would need SigV4-signing clients.
 *
 * @example
 * ```ts
 * const gateway = new Gateway(this, 'Gateway', { observability, tables, eventBus, runtimeEnvironment: {} });
 * gateway.url.url; // https://<id>.lambda-url.<region>.on.aws/
 * ```
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { type FunctionUrl, FunctionUrlAuthType, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  GATEWAY_ALLOCATOR_ENVIRONMENT,
  GATEWAY_NODE_MODULES,
  GATEWAY_NODE_MODULES_UNUSED,
  GATEWAY_NODE_OPTIONS,
} from '../bundling.ts';
import { FUNCTION_ENTRIES } from '../function-entries.ts';
import { GATEWAY_MEMORY_MB } from '../function-memory.ts';
import { bindTables, GATEWAY_TABLE_ACCESS } from '../table-access.ts';
import { type FunctionObservability, QuotagateFunction } from './quotagate-function.ts';
import type { QuotagateTables } from './quotagate-tables.ts';

// Memory: see function-memory.ts, which the bench's cost figures read too.
// Timeout: the Function URL maximum. A Codex turn with long reasoning streams for minutes; the
// gateway bounds itself earlier with the upstream idle timeout and getRemainingTimeInMillis().
const GATEWAY_TIMEOUT = Duration.minutes(15);

export interface GatewayProps {
  readonly observability: FunctionObservability;
  readonly tables: QuotagateTables;
  readonly eventBus: IEventBus;
  /** `QG_*` tunables from context (lease, waits, timeouts, limits). */
  readonly runtimeEnvironment: Readonly<Record<string, string>>;
  readonly reservedConcurrency?: number;
}

export class Gateway extends Construct {
  readonly function: QuotagateFunction;
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: GatewayProps) {
    super(scope, id);
    this.function = new QuotagateFunction(this, 'Function', {
      ...props.observability,
      entry: FUNCTION_ENTRIES.gateway,
      serviceName: 'gateway',
      description: `quotagate ${props.observability.stage}: OpenAI-compatible gateway (streaming Function URL)`,
      memorySize: GATEWAY_MEMORY_MB,
      timeout: GATEWAY_TIMEOUT,
      nodeModules: GATEWAY_NODE_MODULES,
      nodeModulesUnused: GATEWAY_NODE_MODULES_UNUSED,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      environment: {
        ...props.runtimeEnvironment,
        QG_EVENT_BUS_NAME: props.eventBus.eventBusName,
        NODE_OPTIONS: GATEWAY_NODE_OPTIONS,
        ...GATEWAY_ALLOCATOR_ENVIRONMENT,
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The gateway is only invoked synchronously through its Function URL; a dead-letter config applies to ' +
        'asynchronous invocations only, so it would never receive anything. Failures reach the client as an ' +
        'HTTP or SSE error and are alarmed on.',
    });
    bindTables(this.function, props.tables, GATEWAY_TABLE_ACCESS);
    props.eventBus.grantPutEventsTo(this.function);

    this.url = this.function.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.RESPONSE_STREAM,
    });
  }
}
