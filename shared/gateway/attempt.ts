/**
 * What one try of one account is given and how it ends, shared by the attempt itself
 * (`forward-attempt.ts`), its failure branch (`upstream-rejection.ts`), the token-refresh retry
 * (`reauth-attempt.ts`) and the failover loop that reads the result. Types only, so none of those
 * modules has to import another just for its shapes.
 */
import type { AccountHealth } from '../domain/types.ts';
import type { CutShortReason, TokenUsage, UsageSource } from '../events/usage-event.ts';
import type { ClientApi } from './client-api.ts';
import type { GatewayDeps } from './deps.ts';
import type { UpstreamNotes } from './request-observer.ts';
import type { ResponseChannel } from './response-channel.ts';

/** An ambiguous refusal, held by the failover loop until it knows whose fault it was. */
export interface PendingRefusal {
  fingerprint: string;
  /** Written for the refusing account once another account served the request. */
  health: AccountHealth;
}

/** Everything one attempt needs besides the account and its upstream request; one per client request. */
export interface AttemptContext {
  deps: GatewayDeps;
  /** The API the client speaks: what the upstream's answer becomes for it. */
  api: ClientApi;
  channel: ResponseChannel;
  modelRequested: string;
  clientStreams: boolean;
  /** The client's request body: its texts are the input of a stream cut short. */
  requestBody: Record<string, unknown>;
  /** Aborts on client disconnect or when the deadline is near. */
  signal: AbortSignal;
  deadlineSignal: AbortSignal;
  /** Where the attempt notes the upstream's status, latency, id and message for the request's outcome. */
  upstream: UpstreamNotes;
  /** Fingerprint of an ambiguous refusal an earlier account of this request gave. */
  priorRefusal: string | undefined;
  /** An OAuth account not yet retried with a forced token refresh: a 401 asks for one. */
  canReauth?: boolean;
}

/** How one attempt ended: served, refused for the client, or another account (or token) to try. */
export type AttemptResult =
  | {
      kind: 'failover';
      upstreamStatus: number;
      refusal?: PendingRefusal;
      /** Epoch ms the account is back, when the error cooled it down. */
      until?: number;
    }
  | { kind: 'rejected'; upstreamStatus: number }
  /** 401 from an OAuth account: refresh its token and try it once more before marking it. */
  | { kind: 'reauth'; upstreamStatus: 401; health?: AccountHealth }
  | {
      kind: 'served';
      /** What the client got, as its channel noted it (200 when it left before anything was sent). */
      clientStatus: number;
      upstreamStatus: number;
      usage: TokenUsage;
      /** `observed`: counted by the gateway because the stream ended without the upstream's usage. */
      usageSource: UsageSource;
      firstTokenAt: number | undefined;
      cutShortReason: CutShortReason | undefined;
      codexHeaders: Record<string, string>;
      /** The upstream's id of the answer served, when it gave one. */
      upstreamRequestId?: string;
    };
