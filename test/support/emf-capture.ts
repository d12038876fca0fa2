/**
 * The EMF metric lines a call writes to stdout, caught instead of printed.
 *
 * A Lambda handler writes its metrics to stdout (Powertools' console writes through
 * `process.stdout`), where CloudWatch extracts them. A test that drives the handler asserts on
 * those lines rather than letting them land in a passing run's output. Anything else written in
 * the meantime (the test runner's own reports included) passes through untouched.
 *
 * @example
 * ```ts
 * const { result, emf } = await emfOf(() => handler(event, lambdaContext()));
 * assert.deepEqual(emf.map((line) => line.requestId), ['lambda-1']);
 * ```
 */

/** One EMF line as CloudWatch reads it: `_aws` plus the metric values, dimensions and metadata. */
export type EmfLine = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};

/** Whether a written chunk is an EMF line (Powertools writes one JSON object per line). */
function emfLinesIn(chunk: unknown): EmfLine[] | undefined {
  if (typeof chunk !== 'string' || !chunk.includes('"_aws"')) return undefined;
  return chunk
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EmfLine);
}

/** Runs `act` with stdout's EMF lines caught; restores stdout even when `act` throws. */
export async function emfOf<T>(act: () => Promise<T>): Promise<{ result: T; emf: EmfLine[] }> {
  const emf: EmfLine[] = [];
  const write = process.stdout.write;
  process.stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    const lines = emfLinesIn(chunk);
    if (!lines) return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    emf.push(...lines);
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    done?.();
    return true;
  } as typeof process.stdout.write;
  try {
    return { result: await act(), emf };
  } finally {
    process.stdout.write = write;
  }
}

/** The names of the metrics an EMF line carries. */
export function metricNamesOf(line: EmfLine): string[] {
  return line._aws.CloudWatchMetrics.flatMap((definition) => definition.Metrics.map((metric) => metric.Name));
}
