/**
 * Reading the box tables npu-smi and cnmon print ("| a | b |" rows between "+---+" rules). Both tools change their
 * columns between versions (research pitfall 5), so this only splits the table; each parser reads columns by header.
 */

/** BoxLine is one line of a box table: a row of trimmed cells, a rule ('=' rules end a header), or other text. */
export type BoxLine =
  | { readonly kind: 'row'; readonly cells: readonly string[]; readonly line: number }
  | { readonly kind: 'rule'; readonly heavy: boolean; readonly line: number }
  | { readonly kind: 'other'; readonly text: string; readonly line: number };

/** BoxLines is the split table, or the first line that shows the output was cut off. */
export type BoxLines = { readonly ok: true; readonly lines: readonly BoxLine[] } | { readonly ok: false; readonly reason: string };

/**
 * boxLines splits tool output into rows and rules. A row that opens with "|" but does not close with one, or a rule
 * that stops before its closing "+", is output cut mid-line: the whole table is rejected rather than half-read.
 */
export function boxLines(text: string): BoxLines {
  const lines: BoxLine[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const t = raw.trimEnd();
    const line = i + 1;
    if (/^[|+][-=+]+[|+]$/.test(t)) {
      // cnmon closes its header with "|====+====|" rather than "+====+====+".
      lines.push({ kind: 'rule', heavy: t.includes('='), line });
    } else if (t.startsWith('|')) {
      if (t.length < 2 || !t.endsWith('|')) return { ok: false, reason: `line ${line} is cut off: "${t.slice(0, 80)}"` };
      lines.push({ kind: 'row', cells: t.slice(1, -1).split('|').map((c) => c.trim()), line });
    } else if (t.startsWith('+')) {
      if (!/^\+[-=+]*\+$/.test(t)) return { ok: false, reason: `line ${line} is cut off: "${t.slice(0, 80)}"` };
      lines.push({ kind: 'rule', heavy: t.includes('='), line });
    } else {
      lines.push({ kind: 'other', text: t, line });
    }
  }
  return { ok: true, lines };
}

/**
 * tokens splits one cell into whitespace-separated values, first gluing "used / total" pairs ("0    / 0",
 * "58626/ 65536") into one token so that a pair counts as one column, as its header does. Cells whose values carry
 * units ("0 MiB/ 23374 MiB") need their own pattern.
 */
export function tokens(cell: string): string[] {
  const glued = cell.replace(/\s*\/\s*/g, '/');
  return glued === '' ? [] : glued.split(/\s+/);
}

/** splitPair splits a glued "used/total" token into its halves; undefined when it is not a pair. */
export function splitPair(token: string): readonly [string, string] | undefined {
  const parts = token.split('/');
  if (parts.length !== 2 || parts[0] === undefined || parts[1] === undefined) return undefined;
  return [parts[0], parts[1]];
}
