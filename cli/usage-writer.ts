/**
 * Writes usage records as `quotagate usage export` and `usage from-export` both do, so the two
 * produce the same bytes for the same records: CSV (header, one row per record with the user's
 * email looked up once per user) or JSON Lines, to stdout or to `--out`, with backpressure, a
 * progress line while a person watches, and, for `--out`, a closing line saying what was written.
 * The two commands also share how their output flags (`--from`, `--to`, `--format`) are checked,
 * here.
 *
 * @example
 * ```ts
 * const written = await writeUsageRecords(records, { format: 'csv', out: 'nov.csv', io, emailOf, requested });
 * ```
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import { csvHeader, csvRow, jsonlLine } from '#shared/usage/export.ts';
import { type TextStream, UsageError } from './command.ts';

export interface UsageWriteOptions {
  format: 'csv' | 'jsonl';
  /** A file to write to; stdout when absent. */
  out?: string;
  io: { stdout: TextStream; stderr: TextStream };
  /** The user's email (CSV only); called once per user id. */
  emailOf: (userId: string) => Promise<string | undefined>;
  /** The range asked for, in the words of the command line, for the closing line. */
  requested: string;
}

const PROGRESS_EVERY = 500;

async function write(stream: TextStream | Writable, text: string): Promise<void> {
  // Respect backpressure when the destination is a real stream, so memory stays flat.
  if (stream.write(text) === false && 'once' in stream) await once(stream, 'drain');
}

/** Caches one lookup per user: a month of records names few users, each many times. */
function cachedEmails(emailOf: UsageWriteOptions['emailOf']): UsageWriteOptions['emailOf'] {
  const known = new Map<string, Promise<string | undefined>>();
  return (userId) => {
    let email = known.get(userId);
    if (!email) {
      email = emailOf(userId);
      known.set(userId, email);
    }
    return email;
  };
}

/** Writes every record and returns how many were written. */
export async function writeUsageRecords(
  records: AsyncIterable<UsageRecord> | Iterable<UsageRecord>,
  options: UsageWriteOptions,
): Promise<number> {
  const { io, format } = options;
  const out: TextStream | Writable = options.out ? createWriteStream(options.out) : io.stdout;
  const showProgress = io.stderr.isTTY === true && (options.out !== undefined || io.stdout.isTTY !== true);
  const emailOf = cachedEmails(options.emailOf);
  let count = 0;
  let first: string | undefined;
  let last: string | undefined;
  try {
    if (format === 'csv') await write(out, csvHeader());
    for await (const record of records) {
      const line = format === 'csv' ? csvRow(record, await emailOf(record.userId)) : jsonlLine(record);
      await write(out, line);
      count += 1;
      first ??= record.startedAt;
      last = record.startedAt;
      if (showProgress && count % PROGRESS_EVERY === 0) {
        io.stderr.write(`\rExported ${count.toLocaleString('en-US')} records (at ${record.day})`);
      }
    }
    if (showProgress) io.stderr.write(`\rExported ${count.toLocaleString('en-US')} records.          \n`);
  } finally {
    if (out !== io.stdout && 'end' in out) {
      out.end();
      await once(out, 'close');
    }
  }
  if (options.out !== undefined) {
    const span = first === undefined ? 'none started' : `started ${first} to ${last}`;
    io.stderr.write(
      `Wrote ${count.toLocaleString('en-US')} usage record(s) (${options.requested}; ${span}) ` +
        `as ${format.toUpperCase()} to ${options.out}.\n`,
    );
  }
  return count;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `--from`/`--to` as epoch ms; a bare day in `--to` means the end of that day. */
export function parseBound(text: string, flag: 'from' | 'to'): number {
  const isDay = DAY.test(text);
  const ms = Date.parse(isDay ? `${text}T00:00:00.000Z` : text);
  if (Number.isNaN(ms))
    throw new UsageError(`--${flag} must be a day (2026-11-01) or an ISO time, got "${text}".`);
  return isDay && flag === 'to' ? ms + 86_400_000 : ms;
}

interface OutputValues {
  from?: string | undefined;
  to?: string | undefined;
  format?: string | undefined;
  out?: string | undefined;
}

interface Output {
  range: { from?: number; to?: number };
  format: 'csv' | 'jsonl';
  /** The range in the command line's words, for the closing line. */
  requested: string;
}

/** `--from`, `--to` and `--format`, checked the same way for both commands. */
export function outputOf(values: OutputValues, rangeRequired: boolean): Output {
  if (rangeRequired && (values.from === undefined || values.to === undefined))
    throw new UsageError('--from and --to are required.');
  if (values.format !== 'csv' && values.format !== 'jsonl')
    throw new UsageError('--format must be csv or jsonl.');
  const from = values.from === undefined ? undefined : parseBound(values.from, 'from');
  const to = values.to === undefined ? undefined : parseBound(values.to, 'to');
  if (from !== undefined && to !== undefined && to <= from)
    throw new UsageError('--to must come after --from.');
  return {
    range: { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) },
    format: values.format,
    requested: [
      values.from === undefined ? 'from the start' : `--from ${values.from}`,
      values.to === undefined ? 'to the end' : `--to ${values.to}`,
    ].join(' '),
  };
}
