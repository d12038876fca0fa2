/**
 * EventBridge's PutEvents as the gateway's publishers need it, without the AWS SDK: the entry and
 * answer shapes of the API, {@link PutEventsSender} (what a publisher sends through: this client
 * on AWS, the in-process bus locally), and {@link EventBridgeJsonClient}, one signed JSON POST per
 * call over the same transport as the gateway's DynamoDB client (`shared/aws/aws-json-client.ts`).
 * Every served request publishes one usage event, so the SDK client's middleware stack was CPU
 * paid on every request (docs/benchmarks.md).
 *
 * Retries: the SDK's standard mode for throttling and 5xx (three attempts) unless `maxAttempts`
 * says otherwise; the usage publisher passes 1 and retries itself, entry by entry. An answer's
 * failed entries (`FailedEntryCount`) are not an error here: the caller reads them.
 *
 * @example
 * ```ts
 * const events = createEventBridgeClient({ maxAttempts: 1 });
 * const { FailedEntryCount, Entries } = await events.putEvents([
 *   { EventBusName: 'quotagate-prod', Source: 'quotagate.gateway', DetailType: 'quotagate.usage.v1', Detail: '{}' },
 * ]);
 * ```
 */
import {
  type AwsCredentials,
  AwsJsonClient,
  LOCAL_CREDENTIALS,
  lambdaCredentials,
} from '../aws/aws-json-client.ts';

/** One entry of a PutEvents call, as the API names its fields. */
export interface PutEventsEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  /** A JSON object, serialised. */
  Detail?: string;
  Resources?: string[];
  Time?: Date;
}

/** The outcome of one entry, in the position of its entry: an id, or why it failed. */
export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsOutput {
  FailedEntryCount?: number;
  Entries?: PutEventsResultEntry[];
}

/**
 * What sends PutEvents calls. A call refused as a whole throws: an error named after its type,
 * with `$metadata.httpStatusCode` when an answer came (none: the network failed), as the SDK's
 * errors are.
 */
export interface PutEventsSender {
  putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsOutput>;
}

export interface EventBridgeJsonClientOptions {
  /** `https://events.<region>.amazonaws.com` on AWS. */
  endpoint: string;
  region: string;
  credentials: AwsCredentials;
  /** Attempts per call, the first included; 3 as the SDK's standard mode. */
  maxAttempts?: number;
  random?: () => number;
}

export class EventBridgeJsonClient implements PutEventsSender {
  readonly #transport: AwsJsonClient;

  constructor(options: EventBridgeJsonClientOptions) {
    this.#transport = new AwsJsonClient({
      ...options,
      service: 'events',
      serviceName: 'EventBridge',
      targetPrefix: 'AWSEvents.',
      contentType: 'application/x-amz-json-1.1',
    });
  }

  async putEvents(entries: readonly PutEventsEntry[]): Promise<PutEventsOutput> {
    // The API takes Time in epoch seconds, as the SDK's serializer writes a Date.
    const body = JSON.stringify({
      Entries: entries.map((entry) => (entry.Time ? { ...entry, Time: entry.Time.getTime() / 1000 } : entry)),
    });
    return (await this.#transport.send('PutEvents', body)) as PutEventsOutput;
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.#transport.destroy();
  }
}

/**
 * A client for this process's environment: EventBridge's regional endpoint (or
 * `AWS_ENDPOINT_URL_EVENTBRIDGE`, the SDK's own override) with the function's credentials, or
 * `endpoint` with local credentials (the bench's PutEvents server).
 */
export function createEventBridgeClient(
  options: { endpoint?: string; maxAttempts?: number } = {},
  env: NodeJS.ProcessEnv = process.env,
): EventBridgeJsonClient {
  const attempts = options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts };
  if (options.endpoint) {
    return new EventBridgeJsonClient({
      endpoint: options.endpoint,
      region: env.AWS_REGION ?? 'local',
      credentials: LOCAL_CREDENTIALS,
      ...attempts,
    });
  }
  const { region, credentials } = lambdaCredentials(env, 'EventBridge', 'an endpoint');
  return new EventBridgeJsonClient({
    endpoint: env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? `https://events.${region}.amazonaws.com`,
    region,
    credentials,
    ...attempts,
  });
}

/**
 * {@link createEventBridgeClient}, built at its first call: a function that may never publish
 * (the recorder, which publishes only alerts) starts without reading credentials, as it did with
 * the SDK's client, which resolves them at its first request.
 */
export function lazyEventBridgeClient(
  options: { maxAttempts?: number } = {},
  env: NodeJS.ProcessEnv = process.env,
): PutEventsSender {
  let client: EventBridgeJsonClient | undefined;
  return {
    async putEvents(entries) {
      client ??= createEventBridgeClient(options, env);
      return client.putEvents(entries);
    },
  };
}
