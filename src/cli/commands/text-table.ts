/**
 * Aligned text tables for the inspecting commands, in the style of `kubectl get`: upper-case headers, columns two
 * spaces apart, numbers right-aligned, the last column never padded (so lines carry no trailing spaces).
 */

/** Column is one column of a table: its header and whether its cells are numbers (right-aligned). */
export interface Column {
  readonly header: string;
  readonly numeric?: boolean;
}

/** textTable renders rows of cells under the columns; a missing cell prints as "-". */
export function textTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const cell = (row: readonly string[], i: number): string => {
    const text = row[i];
    return text === undefined || text === '' ? '-' : text;
  };
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => cell(r, i).length)));
  const render = (texts: readonly string[]): string =>
    texts
      .map((text, i) => {
        if (i === texts.length - 1 && columns[i]?.numeric !== true) return text;
        return columns[i]?.numeric === true ? text.padStart(widths[i] ?? 0) : text.padEnd(widths[i] ?? 0);
      })
      .join('  ')
      .trimEnd();
  return [render(columns.map((c) => c.header)), ...rows.map((r) => render(columns.map((_, i) => cell(r, i))))];
}

/** indent prefixes every line with `by` spaces, as `kubectl describe` nests sections. */
export function indent(lines: readonly string[], by = 2): string[] {
  const pad = ' '.repeat(by);
  return lines.map((l) => (l === '' ? l : pad + l));
}
