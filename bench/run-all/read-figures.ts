/**
 * Reading back what a benchmark recorded: the JSON lines `recordFigure` appended to its run file
 * (bench/support/summary.ts). A line that is not a figure is reported, not dropped, so a broken benchmark shows.
 */
import type { Figure } from '../support/summary.ts';

/** RecordedFigures is what one run file held. */
export interface RecordedFigures {
  readonly figures: readonly Figure[];
  /** problems: one line per line of the file that was not a figure, naming the line. */
  readonly problems: readonly string[];
}

const REQUIRED = ['bench', 'figure', 'value', 'reproduce'] as const;
const OPTIONAL = ['limit', 'system', 'detail'] as const;

/** parseFigures reads the JSON-lines text of a run file; empty lines are skipped. */
export function parseFigures(text: string): RecordedFigures {
  const figures: Figure[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      problems.push(`line ${i + 1} is not JSON (${(err as Error).message})`);
      return;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      problems.push(`line ${i + 1} is not an object`);
      return;
    }
    const o = v as Record<string, unknown>;
    const bad = [...REQUIRED.filter((k) => typeof o[k] !== 'string'), ...OPTIONAL.filter((k) => o[k] !== undefined && typeof o[k] !== 'string')];
    if (bad.length > 0) {
      problems.push(`line ${i + 1}: ${bad.join(', ')} missing or not text`);
      return;
    }
    figures.push(o as unknown as Figure);
  });
  return { figures, problems };
}
