/**
 * Reading the Prometheus text exposition format back: which metric names it defines and which samples it holds.
 * Used to check that dashboards and alerts query only metrics the processes really expose, and by tests that scrape
 * a real /metrics endpoint rather than ask the registry what it thinks it holds.
 */

/** SUFFIXES are the sample names a metric family of each type exposes besides its own name. */
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

const TYPE_LINE = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) ([a-z]+)\s*$/;
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?\s*$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

/**
 * metricNamesInExposition lists the names a text exposition defines, sorted: every family named by a `# TYPE` line,
 * and for histograms and summaries the sample names a query uses (`x_bucket`, `x_sum`, `x_count`). It reads the TYPE
 * lines, not the samples, so a labelled counter nobody has incremented yet still counts as exposed — which is what a
 * check of dashboards and alerts against the real exposition needs.
 */
export function metricNamesInExposition(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = TYPE_LINE.exec(line);
    if (m === null) continue;
    const name = m[1] as string;
    names.add(name);
    for (const suffix of SUFFIXES[m[2] as string] ?? []) names.add(`${name}${suffix}`);
  }
  return [...names].sort();
}

/** Sample is one line of an exposition: a series and its value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** parseSamples reads every sample line of a text exposition; throws on a line it cannot read, naming it. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = SAMPLE_LINE.exec(line);
    if (m === null) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? '';
    LABEL.lastIndex = 0;
    let read = 0;
    for (let l = LABEL.exec(body); l !== null; l = LABEL.exec(body)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      read = LABEL.lastIndex;
    }
    if (read !== body.length) throw new Error(`labels not readable: ${JSON.stringify(line)}`);
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}
