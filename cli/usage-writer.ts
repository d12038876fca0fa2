/**
 * Writes usage records as `quotagate usage export` and `usage from-export` both do, so the two
 * produce the same bytes for the same records: CSV (header, one row per record with the user's
 * email looked up once per user) or JSON Lines, to stdout or to `--out`, with backpressure, a
 * progress line while a person watches, and, for `--out`, a closing line saying what was written.
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

export interface TextStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

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
  records: AsyncIterable<UsageRecord>,
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
