/**
 * NodeReporter publishes device health on Nodes: every interval it collects a DeviceReport per node it is
 * responsible for, turns it into the `suanwang.io/devices` annotation (device-annotation.ts) and the
 * `AcceleratorHealthy` condition (accelerator-condition.ts), and writes each when the Node does not carry it already.
 * The annotation's `seen` stamp is the time of the round's sample, so the annotation is rewritten every round even
 * when the devices did not change: that is how the agent knows this reporter is alive (a report older than the
 * agent's max age counts as Unknown, node-devices.ts). The cost is one small metadata patch per node per interval.
 * It runs as the per-node DaemonSet (one target: its own node, a real vendor tool) or, in the lab, as one
 * process per site (every accelerator node of the site, simulated devices).
 *
 * Comparison is against the Node as read at the start of each round, not against what this process wrote last:
 * level-triggered, so a restarted reporter does not rewrite an unchanged Node, and a condition someone else dropped
 * (another writer replacing the conditions list) comes back in the next round. The annotation's sample times are
 * ignored when comparing states: `at` stays while the state holds, and the condition is written only when it changes.
 *
 * A round's failures (collection throwing, the Node missing, a write refused) are logged and retried next round;
 * the reporter never stops on them.
 */
import type { Logger } from 'pino';
import type { Clock, Cancel } from '../../runtime/clock.ts';
import type { DeviceReport } from '../devices/types.ts';
import { acceleratorCondition, type AcceleratorCondition } from './accelerator-condition.ts';
import { decodeDeviceAnnotation, encodeDeviceAnnotation, sameDeviceState, toDeviceAnnotation } from './device-annotation.ts';

/** DEFAULT_REPORT_INTERVAL_MS is how often a node is sampled unless told otherwise. */
export const DEFAULT_REPORT_INTERVAL_MS = 30_000;

/** NodeConditionState is the part of a Node condition the reporter compares and carries over. */
export interface NodeConditionState {
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  /** lastTransitionTime is RFC 3339; kept when the status does not change. */
  readonly lastTransitionTime?: string;
}

/** NodeDeviceState is what a Node currently carries: the raw annotation value and the AcceleratorHealthy condition. */
export interface NodeDeviceState {
  readonly annotation?: string;
  readonly condition?: NodeConditionState;
}

/** NodeConditionPatch is the full condition the reporter writes. */
export interface NodeConditionPatch extends AcceleratorCondition {
  readonly lastHeartbeatTime: string;
  readonly lastTransitionTime: string;
}

/**
 * NodeWriter is how the reporter reads and writes Nodes (node-writer.ts talks to Kubernetes; tests use a fake).
 * Every method rejects on failure; read rejects when the Node does not exist.
 */
export interface NodeWriter {
  read(node: string): Promise<NodeDeviceState>;
  writeAnnotation(node: string, value: string): Promise<void>;
  writeCondition(node: string, condition: NodeConditionPatch): Promise<void>;
}

/** ReportTarget is one node and how to sample its devices. */
export interface ReportTarget {
  readonly node: string;
  /** collect samples the node's devices; observedAt is the sample time to stamp on the report. */
  collect(observedAt: string): Promise<DeviceReport>;
}

/**
 * SampleObserver hears each sample of a node's devices, for metrics (reporter-metrics.ts): `sampleStarted` as the
 * target's collect begins, and the function it returns as it ends — with the tool the report names and whether the
 * tool saw the devices (status Ok); a collect that threw ends with no tool and not ok.
 */
export interface SampleObserver {
  sampleStarted(node: string): (result: { readonly tool: string | undefined; readonly ok: boolean }) => void;
}

/** NodeReporterOptions configures a NodeReporter. */
export interface NodeReporterOptions {
  /** targets lists the nodes to report on; called once per round, so it can re-read its inputs (lab fault files). */
  readonly targets: () => readonly ReportTarget[] | Promise<readonly ReportTarget[]>;
  readonly writer: NodeWriter;
  readonly clock: Clock;
  readonly logger: Logger;
  /** intervalMs is the pause between the end of one round and the start of the next (default 30 s). */
  readonly intervalMs?: number;
  /** observer hears every sample (metrics); default none. */
  readonly observer?: SampleObserver;
}

/** RoundOutcome says what a round did on one node. */
export interface RoundOutcome {
  readonly node: string;
  readonly annotationWritten: boolean;
  readonly conditionWritten: boolean;
  /** error is set when the round failed on this node; it is retried next round. */
  readonly error?: string;
}

/** NodeReporter runs rounds until stopped. */
export class NodeReporter {
  readonly #opts: NodeReporterOptions;
  readonly #log: Logger;
  readonly #intervalMs: number;
  /** failing holds nodes whose last round failed, so a lasting failure is logged at warn once, then at debug. */
  readonly #failing = new Set<string>();
  #timer: Cancel | undefined;
  #round: Promise<void> | undefined;
  #running = false;

  constructor(opts: NodeReporterOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#intervalMs = opts.intervalMs ?? DEFAULT_REPORT_INTERVAL_MS;
    if (!(this.#intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${this.#intervalMs}`);
  }

  /** start runs a round now and then one every interval after the previous one ended. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** stop cancels the next round and waits for a running one to finish. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.();
    this.#timer = undefined;
    await this.#round;
  }

  #schedule(ms: number): void {
    this.#timer = this.#opts.clock.after(ms, () => {
      this.#timer = undefined;
      this.#round = this.runRound().then(
        () => undefined,
        (err: unknown) => this.#log.error({ err }, 'report round failed'),
      );
      void this.#round.then(() => {
        if (this.#running) this.#schedule(this.#intervalMs);
      });
    });
  }

  /** runRound samples every target once and writes what changed; exposed for tests and one-shot use. */
  async runRound(): Promise<RoundOutcome[]> {
    const targets = await this.#opts.targets();
    return Promise.all(targets.map((t) => this.#reportNode(t)));
  }

  async #reportNode(target: ReportTarget): Promise<RoundOutcome> {
    const node = target.node;
    try {
      const now = new Date(this.#opts.clock.now()).toISOString();
      const sampled = this.#opts.observer?.sampleStarted(node);
      let report: DeviceReport;
      try {
        report = await target.collect(now);
      } catch (err: unknown) {
        sampled?.({ tool: undefined, ok: false });
        throw err;
      }
      sampled?.({ tool: report.tool, ok: report.status === 'Ok' });
      const current = await this.#opts.writer.read(node);
      const outcome = await this.#write(node, report, current, now);
      if (this.#failing.delete(node)) this.#log.info({ node }, 'reporting works again');
      return outcome;
    } catch (err: unknown) {
      const first = !this.#failing.has(node);
      this.#failing.add(node);
      const message = err instanceof Error ? err.message : String(err);
      if (first) this.#log.warn({ node, err }, 'could not report device health; retrying every round');
      else this.#log.debug({ node, error: message }, 'still cannot report device health');
      return { node, annotationWritten: false, conditionWritten: false, error: message };
    }
  }

  async #write(node: string, report: DeviceReport, current: NodeDeviceState, now: string): Promise<RoundOutcome> {
    const sampled = toDeviceAnnotation(report);
    const onNode = decodeDeviceAnnotation(current.annotation);
    const stateChanged = onNode === undefined || !sameDeviceState(onNode, sampled);
    // The state holds: keep when it was first seen (`at`), move the last sample time (`seen`).
    const next = stateChanged ? sampled : { ...sampled, at: onNode.at };
    const value = encodeDeviceAnnotation(next);
    const annotationWritten = current.annotation !== value;
    if (annotationWritten) await this.#opts.writer.writeAnnotation(node, value);

    const cond = acceleratorCondition(next);
    const old = current.condition;
    const conditionWritten = old === undefined || old.status !== cond.status || old.reason !== cond.reason || old.message !== cond.message;
    if (conditionWritten) {
      const keepTransition = old !== undefined && old.status === cond.status && old.lastTransitionTime !== undefined;
      await this.#opts.writer.writeCondition(node, {
        ...cond,
        lastHeartbeatTime: now,
        lastTransitionTime: keepTransition ? (old.lastTransitionTime as string) : now,
      });
    }
    if (stateChanged || conditionWritten) {
      this.#log.info(
        { node, status: next.status, condition: cond.status, reason: cond.reason, unhealthy: next.devices.filter((d) => d.health !== 'Healthy').length },
        'device health changed',
      );
    } else {
      this.#log.debug({ node, stampRefreshed: annotationWritten }, 'device health unchanged');
    }
    return { node, annotationWritten, conditionWritten };
  }
}
