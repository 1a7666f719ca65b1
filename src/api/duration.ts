/**
 * Durations as people write them on command lines: "40s", "500ms", "2m", "1h", or sums such as "1m30s". Parsed at
 * the edge into milliseconds; nothing inside sees the strings. Each command decides what it accepts beyond this
 * (a minimum, 0, a bare number) and words its own error.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;

/**
 * parseDuration returns the whole milliseconds `text` stands for (rounded), or undefined when it is not a duration.
 * Every part needs a unit: a bare number such as "40" is not a duration. Surrounding white space is ignored.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let m = PART.exec(s); m !== null; m = PART.exec(s)) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    end = PART.lastIndex;
  }
  // Sticky matching stops at the first character that is not a part: everything must have been consumed.
  if (end !== s.length) return undefined;
  return Math.round(total);
}

/** formatDuration renders milliseconds for messages: "40s", "5m", "1m30s", "500ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  const s = ms / 1000;
  const m = Math.floor(s / 60);
  if (m === 0) return `${s}s`;
  return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
}
