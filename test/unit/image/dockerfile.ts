/**
 * Reads a Dockerfile (or Containerfile) into what its final image is: user, entrypoint, command, working directory,
 * environment, labels and what it copies, and lists where two such images differ. test/unit/image/ uses it to keep
 * the repository's Dockerfile and image/Containerfile (`make image`) in agreement without building either.
 */

/** Instruction is one instruction, its keyword upper-cased and continuation lines joined. */
export interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** Stage is the instructions from one FROM to the next. */
export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Copy is one COPY or ADD: where from (a stage name, or the build context), what and to where. */
export interface Copy {
  readonly fromStage: string | undefined;
  readonly sources: readonly string[];
  readonly dest: string;
}

/** FinalImage is what the last stage says about the image it makes. */
export interface FinalImage {
  readonly user: string | undefined;
  readonly entrypoint: unknown;
  readonly cmd: unknown;
  readonly workdir: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly args: readonly string[];
  readonly copies: readonly Copy[];
}

/** parseStages splits a Dockerfile into stages; comments are dropped and continuation lines joined. */
export function parseStages(text: string): Stage[] {
  const lines = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const stages: Array<{ from: string; name: string | undefined; instructions: Instruction[] }> = [];
  for (const line of lines) {
    const m = /^(\S+)\s*(.*)$/.exec(line);
    const op = (m?.[1] ?? line).toUpperCase();
    const args = m?.[2] ?? '';
    if (op === 'FROM') {
      const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: f?.[1] ?? args, name: f?.[2], instructions: [] });
    } else {
      stages[stages.length - 1]?.instructions.push({ op, args }); // ARGs before the first FROM are not the image's
    }
  }
  return stages;
}

/** pairs reads `k=v k2="v 2"` (ENV, LABEL) into an object. */
function pairs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const raw = m[2] ?? '';
    out[m[1] ?? ''] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
  }
  return out;
}

/** execForm parses the JSON form of ENTRYPOINT and CMD; the shell form stays a string. */
function execForm(args: string): unknown {
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

function parseCopy(args: string): Copy {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  return {
    fromStage: flags.find((f) => f.startsWith('--from='))?.slice('--from='.length),
    sources: rest.slice(0, -1),
    dest: rest[rest.length - 1] ?? '',
  };
}

/** finalImage summarises the last stage of a Dockerfile. */
export function finalImage(text: string): FinalImage {
  const stages = parseStages(text);
  const last = stages[stages.length - 1];
  if (last === undefined) throw new Error('no FROM: not a Dockerfile');
  const all = (op: string) => last.instructions.filter((i) => i.op === op).map((i) => i.args);
  const lastOf = (op: string) => all(op).at(-1);
  return {
    user: lastOf('USER'),
    entrypoint: execForm(lastOf('ENTRYPOINT') ?? 'null'),
    cmd: execForm(lastOf('CMD') ?? 'null'),
    workdir: lastOf('WORKDIR'),
    env: Object.assign({}, ...all('ENV').map(pairs)) as Record<string, string>,
    labels: Object.assign({}, ...all('LABEL').map(pairs)) as Record<string, string>,
    args: all('ARG').map((a) => a.split('=')[0] ?? a),
    copies: [...last.instructions.filter((i) => i.op === 'COPY' || i.op === 'ADD').map((i) => parseCopy(i.args))],
  };
}

/**
 * contextCopies lists what every stage copies from the build context (not from another stage), each path once: the
 * checkout files an image depends on, whether they land in it or only feed a stage that builds something for it.
 */
export function contextCopies(text: string): string[] {
  const copies = parseStages(text).flatMap((s) => s.instructions.filter((i) => i.op === 'COPY' || i.op === 'ADD').map((i) => parseCopy(i.args)));
  return [...new Set(copies.filter((c) => c.fromStage === undefined).flatMap((c) => c.sources))];
}

/**
 * appCopies lists the copies into the working directory (the program's files). What one recipe builds in an earlier
 * stage (`--from=deps`) the other may stage in a folder of its build context (`staged`): the same thing lands at the
 * same path either way, so such a copy is named `produced:<name>`.
 */
function appCopies(image: FinalImage, staged: string): string[] {
  const inApp = (dest: string) => dest.startsWith('./') || dest === '.' || (image.workdir !== undefined && dest.startsWith(image.workdir));
  return image.copies
    .filter((c) => inApp(c.dest))
    .map((c) => {
      const sources = c.sources.map((s) => (c.fromStage !== undefined || s.startsWith(`${staged}/`) ? `produced:${s.split('/').filter(Boolean).at(-1) ?? s}` : s));
      return `${sources.join(' ')} -> ${c.dest}`;
    });
}

/**
 * disagreements lists, one line each, where two images differ in what a user of either would notice; `staged` is the
 * build-context folder of inputs that the other recipe builds in a stage (see appCopies).
 */
export function disagreements(a: FinalImage, b: FinalImage, staged: string): string[] {
  const problems: string[] = [];
  const same = (what: string, x: unknown, y: unknown) => {
    if (JSON.stringify(x) !== JSON.stringify(y)) problems.push(`${what}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  };
  same('USER', a.user, b.user);
  same('ENTRYPOINT', a.entrypoint, b.entrypoint);
  same('CMD', a.cmd, b.cmd);
  same('WORKDIR', a.workdir, b.workdir);
  for (const k of new Set([...Object.keys(a.env), ...Object.keys(b.env)])) {
    if (k !== 'PATH') same(`ENV ${k}`, a.env[k], b.env[k]); // PATH is the base image's business
  }
  same('LABEL', a.labels, b.labels);
  same('ARG', a.args, b.args);
  same('COPY into the working directory', appCopies(a, staged), appCopies(b, staged));
  return problems;
}
