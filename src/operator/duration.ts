/**
 * Durations as people write them on command lines: "40s", "500ms", "2m", "1h", or sums such as "1m30s". Parsed at
 * the edge into milliseconds; nothing inside the operator sees the strings.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;

/** parseDuration returns the milliseconds `text` stands for, or undefined when it is not a duration. */
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
