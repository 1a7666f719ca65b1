/**
 * The --help text of a command, generated from its declaration (src/cli/flags.ts): the synopsis, the description,
 * one aligned line per flag under its section's heading (its default, accepted words, "required" and "repeatable"
 * taken from the declaration, so that the text cannot drift from what is parsed), and the footer.
 */
import { formatDefault, listOr, placeholder, type FlagSpec } from './flag-values.ts';
import type { CommandSpec } from './flags.ts';

/** WIDTH is the longest line the flag descriptions are wrapped to. */
const WIDTH = 118;
/** LABEL_MAX is the longest "--flag VALUE" that keeps its description on the same line; longer ones go above it. */
const LABEL_MAX = 28;
const DEFAULT_SECTION = 'Flags:';
const HELP_ROW: Row = { label: '-h, --help', text: 'show this help' };

interface Row {
  readonly label: string;
  readonly text: string;
}

/** usageText renders a command's --help. */
export function usageText(command: CommandSpec): string {
  const synopsis = typeof command.usage === 'string' ? [command.usage] : command.usage;
  const out = [synopsis.length === 1 ? `Usage: ${synopsis[0] ?? ''}` : ['Usage:', ...synopsis.map((l) => `  ${l}`)].join('\n')];
  if (command.description !== undefined) out.push('', command.description.trimEnd());

  const sections = new Map<string, Row[]>();
  for (const [name, spec] of Object.entries(command.flags)) {
    const section = spec.section ?? DEFAULT_SECTION;
    const rows = sections.get(section) ?? [];
    rows.push(row(name, spec));
    sections.set(section, rows);
  }
  // -h, --help closes the general flags, or the last section when every flag has its own.
  const helpSection = sections.has(DEFAULT_SECTION) || sections.size === 0 ? DEFAULT_SECTION : [...sections.keys()].at(-1) ?? DEFAULT_SECTION;
  sections.set(helpSection, [...(sections.get(helpSection) ?? []), HELP_ROW]);

  const labels = [...sections.values()].flat().map((r) => r.label.length);
  const column = 2 + Math.max(...labels.filter((l) => l <= LABEL_MAX)) + 2;
  for (const [heading, rows] of sections) {
    out.push('', heading, ...rows.flatMap((r) => formatRow(r, column)));
  }
  if (Object.values(command.flags).some((f) => f.type === 'duration')) {
    out.push('', 'DURATION is a number with a unit: 500ms, 40s, 2m, 1h, or a sum such as 1m30s.');
  }
  if (command.footer !== undefined) out.push('', command.footer.trimEnd());
  return out.join('\n');
}

function row(name: string, spec: FlagSpec): Row {
  const value = placeholder(spec);
  const label = `${spec.short === undefined ? '' : `-${spec.short}, `}--${name}${value === '' ? '' : ` ${value}`}`;
  const notes: string[] = [];
  const byDefault = formatDefault(spec);
  if (byDefault !== undefined) notes.push(`default ${byDefault}`);
  if ('required' in spec && spec.required === true) notes.push('required');
  if (spec.type === 'repeated') notes.push('repeatable');
  const text = spec.type === 'enum' ? `${spec.help}: ${listOr(spec.values)}` : spec.help;
  if (notes.length === 0) return { label, text };
  // A description that already ends in a parenthesis takes the notes inside it: "(e.g. 2s in the lab; default 30s)".
  return { label, text: text.endsWith(')') ? `${text.slice(0, -1)}; ${notes.join('; ')})` : `${text} (${notes.join('; ')})` };
}

/** formatRow puts the description beside the label (or under it when the label is long), wrapped at WIDTH. */
function formatRow(r: Row, column: number): string[] {
  const indent = ' '.repeat(column);
  const lines = r.text.split('\n').flatMap((paragraph) => wrap(paragraph, WIDTH - column));
  const label = `  ${r.label}`;
  if (label.length + 2 > column) return [label, ...lines.map((l) => indent + l)];
  return lines.map((l, i) => (i === 0 ? label.padEnd(column) : indent) + l);
}

/** wrap breaks text into lines of at most width characters, at spaces (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}
