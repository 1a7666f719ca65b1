/**
 * Report targets for the lab: kwok Nodes have no accelerators and no node-local process, so one reporter per site
 * stands in for the DaemonSet on every accelerator node of the site, and reports what the topology says the node
 * carries (simulateReport) with the faults a test wrote into the fault file (faults-file.ts).
 *
 * The fault file is read once per round, so a test changes device health by rewriting it. A missing file means no
 * faults. A file that does not parse keeps the last good faults and logs the problem once — a test writing the file
 * non-atomically must not make every device flap to healthy for one round (write it to a temporary name and rename).
 */
import type { Logger } from 'pino';
import { simulateReport } from '../agent/devices/simulated.ts';
import type { XidPolicy } from '../agent/devices/xid.ts';
import { nodeName, type LabSite } from './topology.ts';
import { parseFaultsFile, type FaultsByNode } from '../agent/site/faults-file.ts';
import type { ReportTarget } from '../agent/site/node-reporter.ts';

/** LabTargetsOptions configures labReportTargets. */
export interface LabTargetsOptions {
  readonly site: LabSite;
  /** readFaults returns the fault file's text, or undefined when the file does not exist. */
  readonly readFaults: () => Promise<string | undefined>;
  readonly logger: Logger;
  readonly xidPolicy?: XidPolicy;
}

/** labNodeNames lists the site's accelerator nodes, in topology order. */
export function labNodeNames(site: LabSite): string[] {
  return site.pools.flatMap((p) => (p.accelerator === undefined ? [] : Array.from({ length: p.nodes }, (_, i) => nodeName(site, p, i))));
}

/** labReportTargets returns the NodeReporter `targets` function for a lab site. */
export function labReportTargets(opts: LabTargetsOptions): () => Promise<ReportTarget[]> {
  let faults: FaultsByNode = new Map();
  let lastError: string | undefined;
  const readFaults = async (): Promise<FaultsByNode> => {
    let text: string | undefined;
    try {
      text = await opts.readFaults();
    } catch (err: unknown) {
      text = undefined;
      const msg = `cannot read the fault file: ${err instanceof Error ? err.message : String(err)}`;
      if (msg !== lastError) opts.logger.error({ error: msg }, 'fault file unreadable; keeping the last faults');
      lastError = msg;
      return faults;
    }
    const parsed = parseFaultsFile(text ?? '');
    if (!parsed.ok) {
      if (parsed.error !== lastError) opts.logger.error({ error: parsed.error }, 'fault file invalid; keeping the last faults');
      lastError = parsed.error;
      return faults;
    }
    if (lastError !== undefined) opts.logger.info('fault file valid again');
    lastError = undefined;
    faults = parsed.value;
    return faults;
  };
  return async () => {
    const current = await readFaults();
    const known = new Set(labNodeNames(opts.site));
    for (const node of current.keys()) {
      if (!known.has(node)) opts.logger.debug({ node }, 'fault file names a node this site does not simulate; ignored');
    }
    return opts.site.pools.flatMap((pool) => {
      const spec = pool.accelerator;
      if (spec === undefined) return [];
      return Array.from({ length: pool.nodes }, (_, i): ReportTarget => {
        const node = nodeName(opts.site, pool, i);
        const nodeFaults = current.get(node) ?? {};
        return {
          node,
          // async so that simulateReport's RangeError (a fault naming a device the node lacks) rejects this node's
          // collection, which the reporter logs and retries, instead of failing the whole round.
          collect: async (observedAt) =>
            simulateReport(spec, nodeFaults, {
              observedAt,
              nodeName: node,
              ...(opts.xidPolicy === undefined ? {} : { xidPolicy: opts.xidPolicy }),
            }),
        };
      });
    });
  };
}
