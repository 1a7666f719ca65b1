/**
 * The federation timing a lab's operator runs with, read from its command line in the lab state (federation.ts
 * operatorArgs writes --lease=40000ms and so on), and whether it is the operator's own flag defaults.
 */
import { DEFAULT_SITE_LOST_GRACE_MS } from '../../src/controllers/framework/site-liveness.ts';
import { DEFAULT_LEASE_MS } from '../../src/controllers/site/site-status.ts';
import type { LabState } from '../../src/lab/state.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../../src/operator/operator.ts';
import type { Defaults } from './report.ts';

/** operatorFlagMs reads `--name=<n>ms` from the operator's arguments. */
function operatorFlagMs(args: readonly string[], name: string): number {
  const arg = args.find((a) => a.startsWith(`--${name}=`));
  const ms = arg === undefined ? undefined : /^--[a-z-]+=(\d+)ms$/.exec(arg)?.[1];
  if (ms === undefined) throw new Error(`the lab's operator command line has no --${name}=<n>ms (src/lab/federation.ts operatorArgs): ${args.join(' ')}`);
  return Number(ms);
}

/** labDefaults is the timing of the lab's operator. */
export function labDefaults(state: LabState): Defaults {
  const operator = state.components.find((c) => c.name === 'operator');
  if (operator === undefined) throw new Error('the lab runs no operator');
  const leaseMs = operatorFlagMs(operator.args, 'lease');
  const heartbeatIntervalMs = operatorFlagMs(operator.args, 'heartbeat-interval');
  const siteLostGraceMs = operatorFlagMs(operator.args, 'site-lost-grace');
  const pollIntervalMs = operatorFlagMs(operator.args, 'poll-interval');
  const productDefaults = leaseMs === DEFAULT_LEASE_MS && heartbeatIntervalMs === DEFAULT_HEARTBEAT_INTERVAL_MS && siteLostGraceMs === DEFAULT_SITE_LOST_GRACE_MS;
  return { leaseMs, heartbeatIntervalMs, siteLostGraceMs, pollIntervalMs, productDefaults };
}
