/**
 * The lab's state file (<dir>/lab.json): written by the supervisor as it starts components, read by
 * `lab up` (progress and readiness), `lab status` and `lab down`. It records every pid so nothing is orphaned.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** LabPhase is where a lab is in its life. */
export type LabPhase = 'Starting' | 'Ready' | 'Failed' | 'Stopping' | 'Stopped';

/** ComponentState records one process of the lab. */
export interface ComponentState {
  readonly name: string;
  readonly cluster: string;
  readonly pid: number;
  readonly log: string;
  readonly args: readonly string[];
  /** metrics is the process's /metrics URL, for Suanwang's own processes (their --metrics-listen). */
  readonly metrics?: string;
}

/** ClusterState records one cluster of the lab and how to reach it. */
export interface ClusterState {
  readonly name: string;
  readonly role: 'hub' | 'site';
  readonly server: string;
  readonly kubeconfig: string;
  /** region and pools are copied from the topology for `lab status`. */
  readonly region?: string;
  readonly pools?: ReadonlyArray<{ name: string; nodes: number; cpu: number; memory: number; accelerator?: string }>;
  /** connection is how the operator reaches a site (the topology's `connection`). */
  readonly connection?: 'push' | 'pull';
  /** auditLog is the cluster apiserver's audit log: JSON lines, one per request, with user.username (audit.ts). */
  readonly auditLog?: string;
  /**
   * operatorUser is the user the operator calls the hub and a push site as (credentials.ts LAB_OPERATOR_USER). A pull
   * site has no credential for it at all; it is listed there too, so a test can show the site's audit log never names it.
   */
  readonly operatorUser?: string;
  /** agentUser is the user the site's agent calls the site as: the lab's admin on a push site, a ServiceAccount on a pull one. */
  readonly agentUser?: string;
  /** agentKubeconfig is the pull agent's kubeconfig (its ServiceAccount token; pull-agent.ts). */
  readonly agentKubeconfig?: string;
  /** sitePolicy is the pull agent's --site-policy file, when the topology gives one. */
  readonly sitePolicy?: string;
}

/** LabState is the content of <dir>/lab.json. */
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

/** STATE_FILE is the state file's name inside the lab directory. */
export const STATE_FILE = 'lab.json';

/** readState returns the lab state in dir, or undefined when there is none (or it is unreadable). */
export function readState(dir: string): LabState | undefined {
  const p = join(dir, STATE_FILE);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as LabState;
  } catch (err) {
    // Never "no lab": that would let `lab down` stop nothing and leave the lab's processes running.
    throw new LabStateError(`${p} cannot be read (${err instanceof Error ? err.message : String(err)}); check for lab processes naming ${dir} (e.g. pgrep -af ${dir}) before removing it`);
  }
}

/** LabStateError: a lab's state file exists but cannot be read; the lab's processes may still be running. */
export class LabStateError extends Error {
  readonly code = 'LabStateUnreadable';
}

/** writeState replaces the state file atomically, so readers never see half a file. */
export function writeState(state: LabState): void {
  const p = join(state.dir, STATE_FILE);
  writeFileSync(`${p}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${p}.tmp`, p);
}

/**
 * LAB_ENTRY matches the names a lab writes into its directory: the state file, logs, cluster and etcd data,
 * certificates, fault files, kwok stages and one kubeconfig per cluster. Anything else in the directory is not the
 * lab's, and no lab command removes it.
 */
export const LAB_ENTRY = /^(?:lab\.json(?:\.tmp)?|logs|clusters|etcd|certs|faults|kwok-stages\.yaml|[a-z0-9-]+\.kubeconfig)$/;

/** foreignEntries lists what dir holds that no lab wrote (sorted); empty when dir does not exist. */
export function foreignEntries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((e) => !LAB_ENTRY.test(e))
    .sort();
}

/**
 * removeLabDir removes what a lab wrote into dir (LAB_ENTRY), and dir itself once nothing else is left in it, so
 * `lab down --dir` pointed at the wrong folder cannot delete somebody's files.
 */
export function removeLabDir(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir)) if (LAB_ENTRY.test(e)) rmSync(join(dir, e), { recursive: true, force: true });
  if (readdirSync(dir).length === 0) rmdirSync(dir);
}
