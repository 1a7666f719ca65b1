/**
 * The lab as a library: startLab() validates the topology, spawns a detached supervisor and waits until every
 * cluster is ready; stopLab() ends every process the lab started and removes its state; labStatus() reads it.
 * Tests and the `suanwang lab` command both use these.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, rmSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { commandLineMentions, isAlive, killGroup, killPid, tailOf } from './processes.ts';
import { callControl } from './control-server.ts';
import type { FederationTiming } from './federation.ts';
import { foreignEntries, readState, removeLabDir, type LabState } from './state.ts';
import { loadTopology } from './topology.ts';

/** StartLabOptions configure startLab. */
export interface StartLabOptions {
  readonly topologyFile: string;
  readonly dir: string;
  /** ownerPid: when this process ends, the lab stops itself (tests pass their own pid). */
  readonly ownerPid?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly onProgress?: (line: string) => void;
  readonly timeoutMs?: number;
  readonly podCompleteDelayMs?: number;
  /** federation: run the operator, agents and node reporters too (default true). */
  readonly federation?: boolean;
  /** timing overrides heartbeat interval, lease and reporter interval (tests shorten them). */
  readonly timing?: Partial<FederationTiming>;
}

/** LabStartError: the lab could not start; everything it had started is already stopped. */
export class LabStartError extends Error {
  readonly code = 'LabStartFailed';
}

// supervisor-main.ts in the checkout, supervisor-main.js where this module was compiled (tsconfig.build.json).
const SUPERVISOR = join(import.meta.dirname, `supervisor-main${extname(import.meta.filename)}`);

/** startLab starts a lab in dir and resolves with its state once every cluster is ready. */
export async function startLab(o: StartLabOptions): Promise<LabState> {
  const dir = resolve(o.dir);
  const topologyFile = resolve(o.topologyFile);
  loadTopology(topologyFile); // throws ConfigError before anything starts
  const existing = readState(dir);
  if (existing && isAlive(existing.supervisorPid) && commandLineMentions(existing.supervisorPid, dir) && existing.phase !== 'Failed' && existing.phase !== 'Stopped') {
    throw new LabStartError(`a lab is already running in ${dir} (supervisor pid ${existing.supervisorPid}); run 'suanwang lab down --dir ${o.dir}' first`);
  }
  if (existsSync(dir)) {
    // The directory is removed on `lab down`: refuse one that holds anything a lab did not write.
    const foreign = foreignEntries(dir);
    if (foreign.length > 0) {
      throw new LabStartError(`${dir} is not a lab directory (it holds ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}); use a new or empty directory`);
    }
    await stopLab(dir);
  }
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const supervisorLog = join(dir, 'logs', 'supervisor.log');
  const fd = openSync(supervisorLog, 'a');
  const timeoutMs = o.timeoutMs ?? 180_000;
  const args = [SUPERVISOR, '--dir', dir, '--topology', topologyFile, '--start-timeout-ms', String(Math.min(timeoutMs, 120_000))];
  if (o.ownerPid !== undefined) args.push('--owner-pid', String(o.ownerPid));
  if (o.podCompleteDelayMs !== undefined) args.push('--pod-complete-delay-ms', String(o.podCompleteDelayMs));
  if (o.federation === false) args.push('--no-federation');
  if (o.timing?.heartbeatIntervalMs !== undefined) args.push('--heartbeat-interval-ms', String(o.timing.heartbeatIntervalMs));
  if (o.timing?.leaseMs !== undefined) args.push('--lease-ms', String(o.timing.leaseMs));
  if (o.timing?.reporterIntervalMs !== undefined) args.push('--reporter-interval-ms', String(o.timing.reporterIntervalMs));
  if (o.timing?.siteLostGraceMs !== undefined) args.push('--site-lost-grace-ms', String(o.timing.siteLostGraceMs));
  if (o.timing?.pollIntervalMs !== undefined) args.push('--poll-interval-ms', String(o.timing.pollIntervalMs));
  if (o.timing?.lostAfterMs !== undefined) args.push('--lost-after-ms', String(o.timing.lostAfterMs));
  if (o.timing?.gangStartTimeoutMs !== undefined) args.push('--gang-start-timeout-ms', String(o.timing.gangStartTimeoutMs));
  // detached: the supervisor leads a new process group (its pid is the group id) and outlives `lab up`.
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env: o.env ?? process.env });
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new LabStartError(`could not start the lab supervisor; log: ${supervisorLog}`);

  let shown = 0;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    await new Promise((r) => setTimeout(r, 200));
    const st = readState(dir);
    const progress = st?.progress ?? [];
    for (; shown < progress.length; shown++) o.onProgress?.(progress[shown] as string);
    if (st?.phase === 'Ready') return st;
    if (st?.phase === 'Failed') {
      await stopLab(dir, { keepLogs: true });
      throw new LabStartError(`lab failed to start: ${st.error ?? 'unknown error'}\n(everything it started has been stopped; logs are in ${join(dir, 'logs')})`);
    }
    if (!isAlive(pid) && st?.phase !== 'Stopping') {
      await stopLab(dir, { keepLogs: true });
      throw new LabStartError(`the lab supervisor exited during start-up; log: ${supervisorLog}\n${tailOf(supervisorLog, 15)}`);
    }
    if (performance.now() > deadline) {
      await stopLab(dir, { keepLogs: true });
      throw new LabStartError(`lab not ready after ${Math.round(timeoutMs / 1000)}s; stopped it. Logs: ${join(dir, 'logs')}`);
    }
  }
}

/** StopResult lists the recorded pids stopLab saw end and those still alive after SIGKILL. */
export interface StopResult {
  readonly stopped: readonly number[];
  readonly stillAlive: readonly number[];
}

/**
 * stopLab stops the supervisor (which stops its components in order), then kills whatever is left of the process
 * group, checks every recorded pid is gone, and removes what the lab wrote into dir, then dir once it is empty (logs
 * stay when keepLogs is set).
 */
export async function stopLab(dir: string, opts: { keepLogs?: boolean } = {}): Promise<StopResult> {
  const st = readState(dir);
  // Only processes that still name this lab's directory are ours: a recorded pid may belong to someone else by now.
  const ours = (pid: number): boolean => isAlive(pid) && commandLineMentions(pid, resolve(dir));
  const pids = st ? [st.supervisorPid, ...st.components.map((c) => c.pid)].filter(ours) : [];
  if (st) {
    if (pids.includes(st.supervisorPid)) {
      killPid(st.supervisorPid, 'SIGTERM');
      await waitGone([st.supervisorPid], 40_000);
    }
    // The group id is the supervisor's pid; it is ours while the supervisor or any of its components still is.
    if (pids.length > 0) killGroup(st.supervisorPid, 'SIGKILL');
    for (const pid of pids) if (ours(pid)) killPid(pid, 'SIGKILL');
    await waitGone(pids, 5_000);
  }
  const stillAlive = pids.filter(isAlive);
  if (opts.keepLogs) {
    for (const entry of ['clusters', 'etcd', 'lab.json', 'kwok-stages.yaml']) rmSync(join(dir, entry), { recursive: true, force: true });
  } else {
    removeLabDir(dir);
  }
  return { stopped: pids.filter((p) => !stillAlive.includes(p)), stillAlive };
}

async function waitGone(pids: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (pids.some(isAlive) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** LabStatus is a lab's state file with which of its processes are alive. */
export interface LabStatus {
  readonly state: LabState;
  readonly running: boolean;
  readonly components: ReadonlyArray<{ name: string; cluster: string; pid: number; alive: boolean; metrics?: string }>;
}

/** labStatus reads the lab in dir, or undefined when there is none. */
export function labStatus(dir: string): LabStatus | undefined {
  const state = readState(resolve(dir));
  if (!state) return undefined;
  const components = state.components.map((c) => ({ name: c.name, cluster: c.cluster, pid: c.pid, alive: isAlive(c.pid), ...(c.metrics !== undefined && { metrics: c.metrics }) }));
  return { state, running: isAlive(state.supervisorPid), components };
}

/** controlComponent stops or starts one component of a running lab (e.g. the agent of a site); returns its pid. */
export async function controlComponent(dir: string, action: 'stop' | 'start', name: string, cluster: string): Promise<number> {
  const st = readState(resolve(dir));
  if (!st?.control || !isAlive(st.supervisorPid)) throw new LabStartError(`no running lab in ${dir}`);
  return callControl(Number(new URL(st.control).port), action, name, cluster);
}
