/**
 * The lab's state file (<dir>/lab.json): written by the supervisor as it starts components, read by
 * `lab up` (progress and readiness), `lab status` and `lab down`. It records every pid so nothing is orphaned.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type LabPhase = 'Starting' | 'Ready' | 'Failed' | 'Stopping' | 'Stopped';

export interface ComponentState {
  readonly name: string;
  readonly cluster: string;
  readonly pid: number;
  readonly log: string;
  readonly args: readonly string[];
}

export interface ClusterState {
  readonly name: string;
  readonly role: 'hub' | 'site';
  readonly server: string;
  readonly kubeconfig: string;
  /** region and pools are copied from the topology for `lab status`. */
  readonly region?: string;
  readonly pools?: ReadonlyArray<{ name: string; nodes: number; cpu: number; memory: number; accelerator?: string }>;
}

export interface LabState {
  readonly dir: string;
  readonly topology: string;
  /** supervisorPid is also the process group id of every component. */
  readonly supervisorPid: number;
  readonly ownerPid: number | undefined;
  readonly phase: LabPhase;
  readonly error: string | undefined;
  readonly startedAt: string;
  readonly readyAt: string | undefined;
  readonly progress: readonly string[];
  readonly etcd: string | undefined;
  /** control is the supervisor's control endpoint (stop/start one component). */
  readonly control: string | undefined;
  /** operator is the host:port agents dial, when the lab runs the federation. */
  readonly operator: string | undefined;
  readonly clusters: readonly ClusterState[];
  readonly components: readonly ComponentState[];
}

export const STATE_FILE = 'lab.json';

/** readState returns the lab state in dir, or undefined when there is none (or it is unreadable). */
export function readState(dir: string): LabState | undefined {
  const p = join(dir, STATE_FILE);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** writeState replaces the state file atomically, so readers never see half a file. */
export function writeState(state: LabState): void {
  const p = join(state.dir, STATE_FILE);
  writeFileSync(`${p}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${p}.tmp`, p);
}
