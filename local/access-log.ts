/**
 * `npm start`'s access log: one line per gateway request as it ends, refused ones included —
 * time, status, method and route, user, model, milliseconds, and the error type when it failed.
 * It wraps the gateway's request observer (every request ends there exactly once), so it sees
 * what the metrics see; it never prints a header, a key or a body.
 *
 * @example
 * ```ts
 * deps = { ...deps, observer: withAccessLog(deps.observer, (line) => console.log(line)) };
 * // 2026-12-03T07:50:01.123Z 200 POST /v1/responses usr_8k2m4q9z1x0c gpt-5.1 812ms
 * ```
 */
import type { RequestObserver } from '#shared/gateway/request-observer.ts';

/** Bodies larger than this are not parsed for their model (the line says `-`). */
const MODEL_PARSE_LIMIT_BYTES = 1024 * 1024;
const MAX_FIELD = 80;

/** The body's top-level `model`, when it is a short string of plain characters. */
function modelOf(body: Buffer): string {
  if (body.length === 0 || body.length > MODEL_PARSE_LIMIT_BYTES) return '-';
  try {
    const model = (JSON.parse(body.toString('utf8')) as { model?: unknown }).model;
    return typeof model === 'string' ? printable(model) : '-';
  } catch {
    return '-';
  }
}

/** A client-chosen text made safe for one log line: no control characters, no spaces, capped. */
function printable(text: string): string {
  const clean = text.replace(/[^\x21-\x7e]/g, '?').slice(0, MAX_FIELD);
  return clean === '' ? '-' : clean;
}

export function withAccessLog(
  observer: RequestObserver,
  write: (line: string) => void,
  now: () => number = Date.now,
): RequestObserver {
  return {
    async requestEnded(request, caller, outcome) {
      const ended = now();
      const fields = [
        new Date(ended).toISOString(),
        String(outcome.status),
        printable(request.method),
        printable(outcome.route),
        caller?.user.id ?? '-',
        // A model request's bytes are let go once parsed (router.ts); its outcome names the model.
        outcome.model === undefined ? modelOf(request.body) : printable(outcome.model),
        `${Math.max(0, ended - request.receivedAt)}ms`,
        ...(outcome.errorType ? [printable(outcome.errorType)] : []),
      ];
      write(fields.join(' '));
      await observer.requestEnded(request, caller, outcome);
    },
  };
}
