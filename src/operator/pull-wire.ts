/**
 * The pull-mode messages between the store's plain types (clusters/pull-member-messages.ts) and the wire's
 * (proto MemberSync / MemberReport): objects travel as JSON text, so the agent applies exactly what was rendered and
 * reports back exactly what its site holds. Pure.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { OBSERVED_KINDS, type MemberReport, type MemberSync, type ReportedKey, type ReportedMember } from '../clusters/pull-member-messages.ts';
import type { MemberKey, MemberKind } from '../clusters/site-member-port.ts';
import type { MemberRefOut, MemberReportOut, MemberSync as WireMemberSync } from '../wire/messages.ts';

/** PullWireError: an agent's report that cannot be read (an object that is not JSON, a state of no known kind). */
export class PullWireError extends Error {
  override readonly name = 'PullWireError';
}

/** KINDS are the kinds a report may name: the members, and the pods and nodes the agent observes beside them. */
const KINDS: ReadonlySet<string> = new Set<string>([...(['Job', 'Service', 'Deployment'] satisfies MemberKind[]), ...OBSERVED_KINDS]);

/** toWireSync turns the store's sync into the wire's, numbered `generation`. */
export function toWireSync(sync: MemberSync, generation: number): WireMemberSync {
  return {
    full: sync.full,
    generation,
    apply: sync.apply.map((m) => ({ ref: refOf(m.key), manifestJson: JSON.stringify(m.object), contentHash: m.hash })),
    remove: sync.remove.map(refOf),
  };
}

/**
 * fromWireReport reads an agent's report into the store's type. A state that cannot be read is left out and named in
 * `problems` (the caller logs them): one bad object must not cost the operator the rest of the site's report.
 */
export function fromWireReport(report: MemberReportOut): { readonly report: MemberReport; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const states: ReportedMember[] = [];
  for (const s of report.states ?? []) {
    const key = keyOf(s.ref ?? undefined);
    if (key === undefined) {
      problems.push(`a member state with no readable ref (${JSON.stringify(s.ref ?? null)})`);
      continue;
    }
    let object: KubernetesObject | undefined;
    const json = s.objectJson ?? '';
    if (json !== '') {
      try {
        object = JSON.parse(json) as KubernetesObject;
      } catch (err: unknown) {
        problems.push(`${key.kind} ${key.namespace}/${key.name}: object_json is not JSON (${err instanceof Error ? err.message : String(err)})`);
        continue;
      }
    }
    const reason = s.refusalReason ?? '';
    const hash = s.appliedHash ?? '';
    states.push({
      key,
      ...(object !== undefined && { object }),
      ...(hash !== '' && { appliedHash: hash }),
      ...(reason !== '' && { refusal: { reason, message: s.refusalMessage ?? '' } }),
    });
  }
  const gone: ReportedKey[] = [];
  for (const r of report.gone ?? []) {
    const key = keyOf(r);
    if (key === undefined) problems.push(`a gone member with no readable ref (${JSON.stringify(r)})`);
    else gone.push(key);
  }
  return { report: { full: report.full ?? false, states, gone }, problems };
}

function refOf(key: MemberKey): { kind: string; namespace: string; name: string } {
  return { kind: key.kind, namespace: key.namespace, name: key.name };
}

function keyOf(ref: MemberRefOut | undefined): ReportedKey | undefined {
  const kind = ref?.kind ?? '';
  const name = ref?.name ?? '';
  if (!KINDS.has(kind) || name === '') return undefined;
  return { kind: kind as ReportedKey['kind'], namespace: ref?.namespace ?? '', name };
}
