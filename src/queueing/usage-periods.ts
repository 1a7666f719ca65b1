/**
 * The UTC periods retired usage is kept in (retired-usage.ts): days, and, once a Queue's list would grow too long,
 * the months and then the years they fall in. Calendar periods rather than fixed lengths, so that a period's bounds
 * read as dates ("2026-03-01T00:00:00Z" to "2026-04-01T00:00:00Z") and every day lies within one month and one year.
 */

/** PeriodLevel is how coarse a period is. */
export type PeriodLevel = 'day' | 'month' | 'year';

/** Period is [startMs, endMs) in milliseconds since the epoch. */
export interface Period {
  readonly startMs: number;
  readonly endMs: number;
}

/** periodOf is the period of `level` that holds the instant `ms`. */
export function periodOf(level: PeriodLevel, ms: number): Period {
  const t = new Date(ms);
  const y = t.getUTCFullYear();
  switch (level) {
    case 'day': {
      const startMs = Date.UTC(y, t.getUTCMonth(), t.getUTCDate());
      return { startMs, endMs: Date.UTC(y, t.getUTCMonth(), t.getUTCDate() + 1) };
    }
    case 'month':
      return { startMs: Date.UTC(y, t.getUTCMonth(), 1), endMs: Date.UTC(y, t.getUTCMonth() + 1, 1) };
    case 'year':
      return { startMs: Date.UTC(y, 0, 1), endMs: Date.UTC(y + 1, 0, 1) };
  }
}

/** DayPiece is the part of a span that falls in one UTC day, and that day. */
export interface DayPiece extends Period {
  readonly day: Period;
}

/** splitByDay cuts [startMs, endMs) at every UTC midnight; empty when the span is empty or not finite. */
export function splitByDay(startMs: number, endMs: number): DayPiece[] {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) return [];
  const pieces: DayPiece[] = [];
  for (let at = startMs; at < endMs; ) {
    const day = periodOf('day', at);
    const end = Math.min(endMs, day.endMs);
    pieces.push({ startMs: at, endMs: end, day });
    at = end;
  }
  return pieces;
}
