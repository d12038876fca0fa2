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
import { FUNCTION_ENTRIES } from '../function-entries.ts';
import { GATEWAY_TABLE_ACCESS, grantTableAccess } from '../table-access.ts';
import { type FunctionObservability, QuotagateFunction } from './quotagate-function.ts';
import type { QuotagateTables } from './quotagate-tables.ts';

/*
 * Memory: 512 MB, chosen by reasoning until the bench measures it. The gateway is I/O bound: it
 * spends its time waiting on the upstream stream, while CPU goes to parsing the request body (a
 * Codex turn resends the conversation, up to the 10 MiB body limit), hashing the key and
 * relaying SSE chunks. Duration is billed for the whole stream, so memory multiplies the cost of
 * every second spent waiting: 512 MB (about 0.3 vCPU on ARM) parses a 1 MiB body in tens of
 * milliseconds and leaves room for a body at the limit held twice (raw and parsed), without
 * paying for idle CPU during multi-minute streams. `npm run bench` is to report the overhead per
 * request and peak RSS: then take the smallest size whose overhead stops improving, with the
 * peak plus headroom.
 */
const GATEWAY_MEMORY_MB = 512;
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
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      environment: {
        ...props.runtimeEnvironment,
        QG_CONFIG_TABLE: props.tables.byId.config.tableName,
        QG_STATE_TABLE: props.tables.byId.state.tableName,
        QG_USAGE_TABLE: props.tables.byId.usage.tableName,
        QG_EVENT_BUS_NAME: props.eventBus.eventBusName,
      },
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The gateway is only invoked synchronously through its Function URL; a dead-letter config applies to ' +
        'asynchronous invocations only, so it would never receive anything. Failures reach the client as an ' +
        'HTTP or SSE error and are alarmed on.',
    });
    grantTableAccess(this.function, props.tables, GATEWAY_TABLE_ACCESS);
    props.eventBus.grantPutEventsTo(this.function);

    this.url = this.function.addFunctionUrl({
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.RESPONSE_STREAM,
    });
  }
}
