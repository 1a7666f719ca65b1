/**
 * Pull mode's big messages in parts (the proto's "Pull mode: member objects", Size). A MemberSync or MemberReport
 * whose members add up to more than MEMBER_PART_BYTES is sent as consecutive parts, each with some of the members and
 * `part`/`parts` set; the receiving end assembles them and hands on only whole messages, so neither the operator's
 * handler nor the agent ever reads a full set from its first part alone. Pure.
 *
 * Sizes are estimates of the protobuf encoding: every string's UTF-8 length plus a fixed allowance per field and per
 * member for tags and length prefixes (generous: a 2 MiB part of many small members is overestimated, never under).
 */
import { MEMBER_PART_BYTES } from './limits.ts';
import type { DesiredMember, MemberRef, MemberReport, MemberReportOut, MemberState, MemberSync, MemberSyncOut } from './messages.ts';

/** FIELD_OVERHEAD: a tag and a length prefix of up to four bytes, rounded up. */
const FIELD_OVERHEAD = 8;

function textBytes(s: string | undefined | null): number {
  return (s === undefined || s === null ? 0 : Buffer.byteLength(s, 'utf8')) + FIELD_OVERHEAD;
}

function refBytes(ref: MemberRef | undefined | null): number {
  return FIELD_OVERHEAD + textBytes(ref?.kind) + textBytes(ref?.namespace) + textBytes(ref?.name);
}

/** desiredMemberBytes estimates one DesiredMember's encoded size. */
export function desiredMemberBytes(m: DesiredMember): number {
  return FIELD_OVERHEAD + refBytes(m.ref) + textBytes(m.manifestJson) + textBytes(m.contentHash);
}

/** memberStateBytes estimates one MemberState's encoded size. */
export function memberStateBytes(s: MemberState): number {
  return (
    FIELD_OVERHEAD +
    refBytes(s.ref) +
    textBytes(s.objectJson) +
    textBytes(s.appliedHash) +
    textBytes(s.refusalReason) +
    textBytes(s.refusalMessage)
  );
}

/**
 * packParts groups items, in order, into runs whose estimated sizes add up to at most `budget`; an item larger than
 * the budget gets a run of its own. No items give one empty run (a message is still sent).
 */
export function packParts<T>(items: readonly T[], size: (item: T) => number, budget: number): T[][] {
  if (!(budget > 0)) throw new RangeError(`part budget must be positive, got ${budget}`);
  const runs: T[][] = [[]];
  let used = 0;
  for (const item of items) {
    const n = size(item);
    const current = runs[runs.length - 1] as T[];
    if (current.length > 0 && used + n > budget) {
      runs.push([item]);
      used = n;
    } else {
      current.push(item);
      used += n;
    }
  }
  return runs;
}

type SyncItem = { readonly apply: DesiredMember } | { readonly remove: MemberRef };

/**
 * splitMemberSync returns the messages that carry `sync`: itself when it fits the budget, else its parts, `apply`
 * members first and then `remove`, each part with the sync's `full` and `generation`.
 */
export function splitMemberSync(sync: MemberSync, budget: number = MEMBER_PART_BYTES): MemberSync[] {
  const items: SyncItem[] = [...(sync.apply ?? []).map((apply) => ({ apply })), ...(sync.remove ?? []).map((remove) => ({ remove }))];
  const runs = packParts(items, (i) => ('apply' in i ? desiredMemberBytes(i.apply) : refBytes(i.remove)), budget);
  if (runs.length === 1) return [{ ...sync, part: 0, parts: 0 }];
  return runs.map((run, part) => ({
    full: sync.full ?? false,
    generation: sync.generation ?? 0,
    apply: run.flatMap((i) => ('apply' in i ? [i.apply] : [])),
    remove: run.flatMap((i) => ('remove' in i ? [i.remove] : [])),
    part,
    parts: runs.length,
  }));
}

type ReportItem = { readonly state: MemberState } | { readonly gone: MemberRef };

/**
 * splitMemberReport returns the messages that carry `report`: itself when it fits the budget, else its parts,
 * `states` first and then `gone`, each part with the report's `full` and `appliedGeneration`.
 */
export function splitMemberReport(report: MemberReport, budget: number = MEMBER_PART_BYTES): MemberReport[] {
  const items: ReportItem[] = [...(report.states ?? []).map((state) => ({ state })), ...(report.gone ?? []).map((gone) => ({ gone }))];
  const runs = packParts(items, (i) => ('state' in i ? memberStateBytes(i.state) : refBytes(i.gone)), budget);
  if (runs.length === 1) return [{ ...report, part: 0, parts: 0 }];
  return runs.map((run, part) => ({
    full: report.full ?? false,
    appliedGeneration: report.appliedGeneration ?? 0,
    states: run.flatMap((i) => ('state' in i ? [i.state] : [])),
    gone: run.flatMap((i) => ('gone' in i ? [i.gone] : [])),
    part,
    parts: runs.length,
  }));
}

/** Parted is a received message that may be one part of several. */
interface Parted {
  readonly part?: number | undefined;
  readonly parts?: number | undefined;
}

/**
 * Assembled is what one received part gives: a whole message, nothing yet, or a part that had to be dropped.
 * `abandoned` counts the parts of an unfinished earlier message this one made the assembler drop.
 */
export type Assembled<M> =
  | { readonly kind: 'whole'; readonly message: M; readonly abandoned: number }
  | { readonly kind: 'partial'; readonly abandoned: number }
  | { readonly kind: 'dropped'; readonly reason: string };

/**
 * PartAssembler puts received parts back together (the proto's rules): a whole message passes through; part 0 starts
 * an assembly, dropping any unfinished one; a part continues it only when it is the next part of the same message
 * (same `parts`, and `sameMessage` agrees), otherwise it is dropped together with the assembly, since what it would
 * complete is lost. `merge` builds the whole from its parts, in order.
 */
export class PartAssembler<M extends Parted> {
  readonly #merge: (parts: readonly M[]) => M;
  readonly #sameMessage: (first: M, next: M) => boolean;
  #parts: M[] = [];

  constructor(merge: (parts: readonly M[]) => M, sameMessage: (first: M, next: M) => boolean) {
    this.#merge = merge;
    this.#sameMessage = sameMessage;
  }

  /** pending is how many parts wait for the rest of their message. */
  get pending(): number {
    return this.#parts.length;
  }

  /** accept takes one received message (a whole one has `parts` 0 or 1; its `part` is not looked at). */
  accept(m: M): Assembled<M> {
    const parts = m.parts ?? 0;
    const part = m.part ?? 0;
    if (parts <= 1) {
      const abandoned = this.reset();
      return { kind: 'whole', message: m, abandoned };
    }
    if (!Number.isInteger(part) || part < 0 || part >= parts) {
      this.reset();
      return { kind: 'dropped', reason: `part ${part} of ${parts} is out of range` };
    }
    let abandoned = 0;
    if (part === 0) {
      abandoned = this.reset();
    } else {
      const first = this.#parts[0];
      if (first === undefined || this.#parts.length !== part || first.parts !== parts || !this.#sameMessage(first, m)) {
        const had = this.reset();
        return { kind: 'dropped', reason: `part ${part} of ${parts} does not continue the ${had} part(s) received` };
      }
    }
    this.#parts.push(m);
    if (this.#parts.length < parts) return { kind: 'partial', abandoned };
    const whole = this.#merge(this.#parts);
    this.#parts = [];
    return { kind: 'whole', message: whole, abandoned: 0 };
  }

  /** reset drops an unfinished assembly (a new stream starts); returns how many parts it held. */
  reset(): number {
    const n = this.#parts.length;
    this.#parts = [];
    return n;
  }
}

/** memberSyncAssembler assembles received MemberSync parts: one sync is one `generation`. */
export function memberSyncAssembler(): PartAssembler<MemberSyncOut> {
  return new PartAssembler<MemberSyncOut>(
    (parts) => {
      const first = parts[0] as MemberSyncOut;
      return {
        full: first.full ?? false,
        generation: first.generation ?? 0,
        apply: parts.flatMap((p) => p.apply ?? []),
        remove: parts.flatMap((p) => p.remove ?? []),
      };
    },
    (a, b) => (a.full ?? false) === (b.full ?? false) && (a.generation ?? 0) === (b.generation ?? 0),
  );
}

/** memberReportAssembler assembles received MemberReport parts. */
export function memberReportAssembler(): PartAssembler<MemberReportOut> {
  return new PartAssembler<MemberReportOut>(
    (parts) => {
      const first = parts[0] as MemberReportOut;
      return {
        full: first.full ?? false,
        appliedGeneration: first.appliedGeneration ?? 0,
        states: parts.flatMap((p) => p.states ?? []),
        gone: parts.flatMap((p) => p.gone ?? []),
      };
    },
    (a, b) => (a.full ?? false) === (b.full ?? false) && (a.appliedGeneration ?? 0) === (b.appliedGeneration ?? 0),
  );
}
