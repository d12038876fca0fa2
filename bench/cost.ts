/**
 * What one million gateway requests cost on AWS, from the bench's own figures and list prices
 * (us-east-1, ARM Lambda, DynamoDB on-demand; dated below). docs/deploy.md states the same
 * formula; change both together.
 *
 * @example
 * ```ts
 * costPerMillion({ gatewayMemoryMb: 176, streamSeconds: 20, writes: 15, indexWrites: 9, ... }); // USD
 * ```
 */

/** List prices in USD, as published on the AWS pricing pages on this date. */
export const PRICES = {
  asOf: '2026-12-03',
  lambdaPerMillionRequests: 0.2,
  lambdaArmPerGbSecond: 0.0000133334,
  eventBridgePerMillionEvents: 1.0,
  dynamoPerMillionWriteUnits: 0.625,
  dynamoPerMillionReadUnits: 0.125,
  logsPerGbIngested: 0.5,
} as const;

/** Figures the bench does not measure: the recorder's duration and the log volume. */
export const ASSUMED = {
  /** About ten sequential conditional writes at DynamoDB's single-digit milliseconds. */
  recorderSeconds: 0.15,
  /** The EMF metric line and the odd warning. */
  logKbPerRequest: 2,
} as const;

export interface CostInput {
  gatewayMemoryMb: number;
  recorderMemoryMb: number;
  /** Upstream time the gateway relays, billed in full. */
  streamSeconds: number;
  /** What the gateway adds on top (its p50 added total time). */
  gatewayOverheadMs: number;
  /** DynamoDB write requests per request, gateway and recorder together (one unit each). */
  writes: number;
  /**
   * Write units DynamoDB bills per request on top for index entries those writes put, change or
   * remove (index-writes.ts counts them); `writes + indexWrites` is docs/deploy.md's `W`.
   */
  indexWrites: number;
  reads: number;
}

/** USD per one million requests, to the cent. */
export function costPerMillion(input: CostInput): number {
  const million = 1_000_000;
  const lambda = (memoryMb: number, seconds: number) =>
    PRICES.lambdaPerMillionRequests + million * (memoryMb / 1024) * seconds * PRICES.lambdaArmPerGbSecond;
  const total =
    lambda(input.gatewayMemoryMb, input.streamSeconds + input.gatewayOverheadMs / 1000) +
    lambda(input.recorderMemoryMb, ASSUMED.recorderSeconds) +
    PRICES.eventBridgePerMillionEvents +
    PRICES.dynamoPerMillionWriteUnits * (input.writes + input.indexWrites) +
    PRICES.dynamoPerMillionReadUnits * input.reads +
    PRICES.logsPerGbIngested * ASSUMED.logKbPerRequest;
  return Math.round(total * 100) / 100;
}
