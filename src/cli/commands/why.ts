/**
 * `suanwang why KIND/NAME`: why a TrainingJob or InferenceService is where it is — or still waiting — from what the
 * operator wrote in its status: the conditions (Admitted, Preempted and Placed first), what its queue holds for it,
 * and the last placement record with every site's verdict and reasons.
 */
import type { Condition, InferenceService, PlacementRecord, TrainingJob } from '../../api/generated/types.ts';
import { ConditionType, Kind } from '../../api/names.ts';
import { DNS1123_LABEL_PATTERN } from '../../api/schema/builders.ts';
import { KIND_DEFINITIONS } from '../../api/schema/kinds.ts';
import { parseAmounts } from '../../queueing/amounts.ts';
import { CliError, reportCliError } from '../cli-error.ts';
import { usageText } from '../flag-usage.ts';
import { defineCommand, parseCommandLine } from '../flags.ts';
import { candidatesTable } from './candidates-table.ts';
import { HUB_FLAGS, hubObjects, type HubFlags, type HubObjects } from './hub-objects.ts';
import { indent, textTable } from './text-table.ts';
import { amountsText } from './what-if.ts';
import { DEFAULT_NAMESPACE } from './what-if-manifest.ts';

const WHY = defineCommand({
  name: 'why',
  usage: 'suanwang why KIND/NAME [-n NAMESPACE] [--kubeconfig FILE] [--context NAME]',
  description: `Prints why a workload on the hub waits, or runs where it runs: its conditions (Admitted, Preempted and
Placed first, each with its reason and message), what its queue holds for it, and the last placement decision with
every site's verdict and reasons. KIND is trainingjob (tj) or inferenceservice (isvc), singular or plural.`,
  flags: {
    namespace: { type: 'string', short: 'n', value: 'NAMESPACE', help: 'the workload\'s namespace (default: "default")' },
    ...HUB_FLAGS,
  },
  positionals: true,
  footer: `Examples:
  suanwang why tj/llama-pretrain -n team-a
  kubectl suanwang why isvc/chat -n serving          (the same, as a kubectl plugin: docs/kubectl-plugin.md)

Needs get on trainingjobs or inferenceservices.suanwang.io in the namespace.
Exit codes: 0 printed, 1 no such workload, 2 a bad argument, 3 the hub could not be read.`,
});

/** WhyIo is where the command writes and how it reads the hub; tests replace it. */
export interface WhyIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly hub: (flags: HubFlags) => HubObjects;
}

const defaultIo: WhyIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  hub: hubObjects,
};

type WorkloadKind = typeof Kind.TrainingJob | typeof Kind.InferenceService;

/** Target is the workload asked about. */
export interface Target {
  readonly kind: WorkloadKind;
  readonly name: string;
}

const DNS1123_LABEL = new RegExp(DNS1123_LABEL_PATTERN);

/** parseTarget reads KIND/NAME; throws CliError (exit 2) naming what is wrong. */
export function parseTarget(positionals: readonly string[]): Target {
  if (positionals.length !== 1) throw new CliError(`needs exactly one KIND/NAME, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`, 2);
  const arg = positionals[0] ?? '';
  const slash = arg.indexOf('/');
  if (slash <= 0 || slash === arg.length - 1) throw new CliError(`${JSON.stringify(arg)} is not KIND/NAME (for example tj/llama-pretrain)`, 2);
  const word = arg.slice(0, slash).toLowerCase();
  const name = arg.slice(slash + 1);
  const def = KIND_DEFINITIONS.find(
    (d) => (d.kind === Kind.TrainingJob || d.kind === Kind.InferenceService) && [d.kind.toLowerCase(), d.singular, d.plural, ...d.shortNames].includes(word),
  );
  if (def === undefined) throw new CliError(`kind ${JSON.stringify(word)} is not trainingjob (tj) or inferenceservice (isvc)`, 2);
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) throw new CliError(`${JSON.stringify(name)} is not an object name`, 2);
  return { kind: def.kind as WorkloadKind, name };
}

/** whyCommand runs `suanwang why`; returns the exit code. */
export async function whyCommand(argv: string[], io: WhyIo = defaultIo): Promise<number> {
  try {
    const parsed = parseCommandLine(WHY, argv);
    if (parsed === 'help') {
      io.out(usageText(WHY));
      return 0;
    }
    const target = parseTarget(parsed.positionals);
    const namespace = parsed.values.namespace ?? DEFAULT_NAMESPACE;
    if (!DNS1123_LABEL.test(namespace)) throw new CliError(`--namespace ${JSON.stringify(namespace)} is not a namespace name`, 2);
    const obj = await io.hub(parsed.values).get(target.kind, namespace, target.name);
    if (obj === undefined) throw new CliError(`${target.kind} ${namespace}/${target.name} not found on the hub`, 1);
    for (const line of formatWhy(target.kind, obj)) io.out(line);
    return 0;
  } catch (err: unknown) {
    if (err instanceof CliError) return reportCliError(WHY.name, err, io.err);
    throw err;
  }
}

/** FIRST_CONDITIONS are shown first, in this order: the ones that say why a workload waits. */
const FIRST_CONDITIONS: readonly string[] = [ConditionType.Admitted, ConditionType.Preempted, ConditionType.Placed];

/** formatWhy renders a workload's status as `kubectl describe` sections. */
export function formatWhy(kind: WorkloadKind, obj: TrainingJob | InferenceService): string[] {
  const status = obj.status;
  const lines = [`Name:        ${obj.metadata.name ?? ''}`, `Namespace:   ${obj.metadata.namespace ?? ''}`, `Kind:        ${kind}`];
  if (kind === Kind.TrainingJob) {
    const tj = obj as TrainingJob;
    lines.push(`Phase:       ${tj.status?.phase ?? '(none yet: the operator has not written status)'}`);
    if (tj.status?.site !== undefined) lines.push(`Runs on:     site ${tj.status.site}, variant ${tj.status.variant ?? '-'}, pool ${tj.status.pool ?? '-'}`);
  } else {
    const isvc = obj as InferenceService;
    const spread = (isvc.status?.sites ?? []).map((s) => `${s.site} ${s.readyReplicas ?? 0}/${s.replicas ?? 0} ${s.variant ?? ''}`.trim());
    lines.push(`Replicas:    ${isvc.status?.readyReplicas ?? 0}/${isvc.status?.replicas ?? 0} ready (min ${isvc.spec.replicas?.min ?? 1})${spread.length > 0 ? `: ${spread.join(', ')}` : ''}`);
  }
  const admission = status?.admission;
  const queue = obj.spec.queue ?? 'default';
  lines.push(
    admission === undefined
      ? `Queue:       ${queue} (nothing held: not admitted)`
      : `Queue:       ${admission.queue === '' || admission.queue === undefined ? '(none)' : admission.queue} holds ${amountsText(parseAmounts(admission.charge).amounts) || 'nothing'} since ${admission.admittedTime ?? '?'}`,
  );
  lines.push('Conditions:', ...indent(conditionsTable(status?.conditions ?? [])));
  lines.push(...placementSection(status?.placement));
  return lines;
}

function conditionsTable(conditions: readonly Condition[]): string[] {
  if (conditions.length === 0) return ['(none yet)'];
  const rank = (c: Condition): number => {
    const i = FIRST_CONDITIONS.indexOf(c.type);
    return i === -1 ? FIRST_CONDITIONS.length : i;
  };
  const sorted = [...conditions].sort((a, b) => rank(a) - rank(b));
  return textTable(
    [{ header: 'TYPE' }, { header: 'STATUS' }, { header: 'REASON' }, { header: 'SINCE' }, { header: 'MESSAGE' }],
    sorted.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime, c.message]),
  );
}

function placementSection(record: PlacementRecord | undefined): string[] {
  if (record === undefined) return ['Placement:   (no decision recorded yet)'];
  const when = [record.epoch === undefined ? undefined : `epoch ${record.epoch}`, record.decisionTime].filter((x) => x !== undefined).join(', ');
  return [`Placement:   ${record.message ?? ''}${when === '' ? '' : ` (${when})`}`, ...indent(candidatesTable(record))];
}
