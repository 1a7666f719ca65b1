/**
 * `suanwang what-if -f job.yaml`: what the operator would decide now for a TrainingJob or InferenceService that is not
 * on the hub — the queue it is charged to and the admission verdict with the numbers, the site, variant and pool,
 * and every site's verdict and reasons — read from the live hub and creating nothing. The decision is
 * what-if-decision.ts (pure); this file reads the file and the hub and renders the answer as `kubectl describe`
 * would show it.
 */
import { readFileSync } from 'node:fs';
import { Reason } from '../../api/names.ts';
import { formatAmount } from '../../placement/format.ts';
import type { Amounts } from '../../queueing/amounts.ts';
import { CliError, reportCliError } from '../cli-error.ts';
import { usageText } from '../flag-usage.ts';
import { defineCommand, parseCommandLine } from '../flags.ts';
import { candidatesTable } from './candidates-table.ts';
import { HUB_FLAGS, hubObjects, type HubFlags, type HubObjects } from './hub-objects.ts';
import { indent, textTable } from './text-table.ts';
import { WHAT_IF_BLIND_SPOT, whatIf, type HubState, type WhatIf } from './what-if-decision.ts';
import { parseManifest } from './what-if-manifest.ts';

/** WhatIfExit is the command's answer as an exit code. */
export const WhatIfExit = { Placed: 0, Waits: 1, BadInput: 2 } as const;

const WHAT_IF = defineCommand({
  name: 'what-if',
  usage: 'suanwang what-if -f FILE [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]',
  description: `Prints what the operator would decide now for the TrainingJob or InferenceService in FILE, without creating
it: the queue it would be charged to and the admission verdict (with the quota, what the queue holds and what the
workload would take), the site, variant and node pool it would run on, and every site's verdict and reasons. Reads
every Queue, Site, TrainingJob and InferenceService on the hub and runs the operator's own admission cycle and
placement over them, with this workload added as new. Writes nothing.`,
  flags: {
    filename: { type: 'string', short: 'f', value: 'FILE', required: true, help: "the workload's manifest (YAML or JSON; - reads stdin)" },
    namespace: { type: 'string', short: 'n', value: 'NAMESPACE', help: 'the namespace it would be created in (default: its metadata.namespace, else default)' },
    ...HUB_FLAGS,
  },
  footer: `Examples:
  suanwang what-if -f train.yaml -n team-a
  kubectl suanwang what-if -f serve.yaml            (the same, as a kubectl plugin: docs/kubectl-plugin.md)

The answer is the operator's as of now: a workload created later meets a hub that has moved on. Capacity the
operator has promised to placements not yet reported by the sites lives in its memory and is not seen here.
Needs list on sites, queues, trainingjobs and inferenceservices.suanwang.io in all namespaces.
Exit codes: 0 it would be admitted and placed, 1 it would wait, 2 a bad flag or manifest (each problem names its
field), 3 the hub could not be read.`,
});

/** WhatIfIo is where the command writes, what time it is and how it reads files and the hub; tests replace it. */
export interface WhatIfIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly now: () => Date;
  readonly readFile: (path: string) => string;
  readonly hub: (flags: HubFlags) => HubObjects;
}

const defaultIo: WhatIfIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  now: () => new Date(),
  readFile: (path) => readFileSync(path === '-' ? 0 : path, 'utf8'),
  hub: hubObjects,
};

/** whatIfCommand runs `suanwang what-if`; returns the exit code (WhatIfExit, or HUB_UNREADABLE). */
export async function whatIfCommand(argv: string[], io: WhatIfIo = defaultIo): Promise<number> {
  try {
    const parsed = parseCommandLine(WHAT_IF, argv);
    if (parsed === 'help') {
      io.out(usageText(WHAT_IF));
      return 0;
    }
    const { filename, namespace, kubeconfig, context } = parsed.values;
    let text: string;
    try {
      text = io.readFile(filename);
    } catch (err: unknown) {
      throw new CliError(`-f ${filename}: cannot read: ${err instanceof Error ? err.message : String(err)}`, WhatIfExit.BadInput);
    }
    const checked = parseManifest(text, namespace);
    if (!checked.ok) {
      io.err(`what-if: ${filename} is not a workload the hub would accept:`);
      for (const e of checked.errors) io.err(`  ${e}`);
      return WhatIfExit.BadInput;
    }
    const hub = io.hub({ kubeconfig, context });
    const [queues, sites, trainingJobs, inferenceServices] = await Promise.all([
      hub.list('Queue'),
      hub.list('Site'),
      hub.list('TrainingJob'),
      hub.list('InferenceService'),
    ]);
    const state: HubState = { queues, sites, trainingJobs, inferenceServices };
    const answer = whatIf(state, checked.manifest, checked.workload, io.now().getTime());
    for (const line of formatWhatIf(answer)) io.out(line);
    return answer.placed ? WhatIfExit.Placed : WhatIfExit.Waits;
  } catch (err: unknown) {
    if (err instanceof CliError) return reportCliError(WHAT_IF.name, err, io.err);
    throw err;
  }
}

/** formatWhatIf renders the answer as `kubectl describe` sections: the workload, its queue, the verdict, the sites. */
export function formatWhatIf(w: WhatIf): string[] {
  const v = w.verdict;
  const lines = [
    `Name:        ${w.name}`,
    `Namespace:   ${w.namespace}`,
    `Kind:        ${w.kind}${w.replaces ? ' (one of this name exists on the hub: answered as if this manifest replaced it)' : ''}`,
    ...queueSection(w),
    'Admission:',
    ...indent(admissionLines(w)),
    'Placement:',
    ...indent(placementLines(w)),
    w.recordIsHypothetical ? 'Sites (where it would go once admitted):' : 'Sites:',
    ...indent(w.record === undefined ? ['(no placement was run)'] : candidatesTable(w.record)),
    '',
    `Not seen from here: ${WHAT_IF_BLIND_SPOT}.`,
    `Nothing was created. ${v.kind === 'Admit' && w.placed ? 'Would be admitted and placed (exit 0).' : 'Would wait (exit 1).'}`,
  ];
  return lines;
}

function queueSection(w: WhatIf): string[] {
  const q = w.queue;
  if (q === undefined) return ['Queue:       (none it may wait in; see Admission)'];
  if (q.info === undefined) return ['Queue:       (none: it names the default queue and no Queue named default exists, so only capacity limits it)'];
  const info = q.info;
  const charge: Amounts = w.verdict.kind === 'Admit' ? w.verdict.charge : {};
  const resources = [...new Set([...Object.keys(info.quota), ...Object.keys(charge)])].sort();
  const rows = resources.map((r) => [
    r,
    info.quota[r] === undefined ? 'unlimited' : formatAmount(r, info.quota[r]),
    formatAmount(r, q.inUse[r] ?? 0),
    charge[r] === undefined ? '' : formatAmount(r, charge[r]),
    info.borrowingLimit[r] === undefined ? '' : formatAmount(r, info.borrowingLimit[r]),
  ]);
  return [
    `Queue:       ${q.name} (weight ${info.weight}, preemption ${info.policy}${info.namespaces.length > 0 ? `, namespaces ${info.namespaces.join(', ')}` : ''})`,
    ...indent(
      rows.length === 0
        ? ['(no quota: nothing limits it but capacity)']
        : textTable(
            [{ header: 'RESOURCE' }, { header: 'QUOTA', numeric: true }, { header: 'IN USE', numeric: true }, { header: 'THIS WORKLOAD', numeric: true }, { header: 'BORROWING LIMIT', numeric: true }],
            rows,
          ),
    ),
  ];
}

function admissionLines(w: WhatIf): string[] {
  const v = w.verdict;
  const ahead = w.admittedAhead > 0 ? [`(the same cycle would first admit ${w.admittedAhead} other waiting workload${w.admittedAhead === 1 ? '' : 's'}; their share is counted above)`] : [];
  if (v.kind === 'Wait') return [`Admitted=False  reason ${v.reason}${v.never === true ? ' (it could not fit even an idle federation under its quota: waiting will not help)' : ''}`, v.message, ...ahead];
  const borrowed = amountsText(v.borrowed);
  return [
    `Admitted=True  reason ${v.queue === '' ? Reason.NoQueue : Reason.QuotaReserved}`,
    `charge: ${amountsText(v.charge) || 'nothing'}${borrowed === '' ? '' : `; borrowed above quota: ${borrowed}`}`,
    ...(v.preempting !== undefined && v.preempting.length > 0 ? [`would preempt: ${v.preempting.join(', ')}`] : []),
    ...ahead,
  ];
}

function placementLines(w: WhatIf): string[] {
  const v = w.verdict;
  if (w.inference !== undefined) {
    const d = w.inference;
    const spread = d.assignments.map((a) => `${a.site}: ${a.replicas} × ${a.variant} on pool ${a.pool}`);
    return [
      ...(spread.length === 0 ? ['no replica fits any site'] : spread),
      ...(d.short > 0 ? [`${d.short} replica${d.short === 1 ? '' : 's'} short of the minimum`] : []),
      ...(d.sitesShort > 0 ? [`${d.sitesShort} site${d.sitesShort === 1 ? '' : 's'} short of placement.minSites`] : []),
      ...(w.record?.message === undefined ? [] : [w.record.message]),
    ];
  }
  if (v.kind === 'Admit' && v.placement !== undefined) {
    const p = v.placement;
    return [`site ${p.site}, variant ${p.variant}, pool ${p.pool}${p.acceleratorResource === undefined ? '' : ` (${p.acceleratorResource})`}`, ...(p.record.message === undefined ? [] : [p.record.message])];
  }
  return [`not placed${w.record?.message === undefined ? '' : `: ${w.record.message}`}`];
}

/** amountsText renders amounts as `cpu 16, memory 64Gi, nvidia.com/gpu 8`, resources in name order. */
export function amountsText(a: Amounts): string {
  return Object.entries(a)
    .filter(([, n]) => n > 0)
    .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    .map(([r, n]) => `${r} ${formatAmount(r, n)}`)
    .join(', ');
}

