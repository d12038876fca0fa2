/**
 * A clock a test sets by hand, for code that takes `now: () => number`. A test about "today",
 * "this month" or "the last 24 hours" pins the instant it reasons about, so the day the test
 * expects and the day the code computes are the same whatever hour the suite runs at (a test
 * that read the wall clock twice failed when midnight UTC fell between the two reads).
 *
 * @example
 * ```ts
 * const clock = new PinnedClock(CALENDAR_INSTANTS.midMonthNoon);
 * const world = await startAdminWorld({ now: clock.now });
 * clock.set(CALENDAR_INSTANTS.firstOfMonth);
 * ```
 */
export class PinnedClock {
  constructor(public at: number) {}
  now = (): number => this.at;
  set(at: number): void {
    this.at = at;
  }
}

/**
 * The instants calendar tests pin, written as dates so a reader checks them by eye: an ordinary
 * mid-month noon, the last tenth of a second of a day that ends a month and a year, and the
 * first instant of the month after it.
 */
export const CALENDAR_INSTANTS = {
  midMonthNoon: Date.parse('2026-11-14T12:00:00.000Z'),
  lastTenthOfYear: Date.parse('2026-12-31T23:59:59.900Z'),
  firstOfMonth: Date.parse('2027-01-01T00:00:00.000Z'),
} as const;
