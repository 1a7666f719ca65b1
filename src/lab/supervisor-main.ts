/**
 * Process entry of the lab supervisor, spawned detached by startLab(). Arguments:
 *   --dir <dir> --topology <file> [--owner-pid <pid>] [--pod-complete-delay-ms <ms>] [--start-timeout-ms <ms>]
 *   [--no-federation] [--heartbeat-interval-ms, --lease-ms, --reporter-interval-ms, --site-lost-grace-ms,
 *   --poll-interval-ms, --lost-after-ms, --gang-start-timeout-ms <ms>]
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TIMING } from './federation.ts';
import { Supervisor } from './supervisor.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    topology: { type: 'string' },
    'owner-pid': { type: 'string' },
    'pod-complete-delay-ms': { type: 'string', default: '5000' },
    'start-timeout-ms': { type: 'string', default: '90000' },
    'no-federation': { type: 'boolean', default: false },
    'heartbeat-interval-ms': { type: 'string', default: String(DEFAULT_TIMING.heartbeatIntervalMs) },
    'lease-ms': { type: 'string', default: String(DEFAULT_TIMING.leaseMs) },
    'reporter-interval-ms': { type: 'string', default: String(DEFAULT_TIMING.reporterIntervalMs) },
    'site-lost-grace-ms': { type: 'string', default: String(DEFAULT_TIMING.siteLostGraceMs) },
    'poll-interval-ms': { type: 'string', default: String(DEFAULT_TIMING.pollIntervalMs) },
    'lost-after-ms': { type: 'string', default: String(DEFAULT_TIMING.lostAfterMs) },
    'gang-start-timeout-ms': { type: 'string', default: String(DEFAULT_TIMING.gangStartTimeoutMs) },
  },
});
if (!values.dir || !values.topology) {
  console.error('supervisor-main: --dir and --topology are required');
  process.exit(2);
}
const supervisor = new Supervisor({
  dir: values.dir,
  topologyFile: values.topology,
  ownerPid: values['owner-pid'] ? Number(values['owner-pid']) : undefined,
  env: process.env,
  podCompleteDelayMs: Number(values['pod-complete-delay-ms']),
  startTimeoutMs: Number(values['start-timeout-ms']),
  federation: !values['no-federation'],
  timing: {
    heartbeatIntervalMs: Number(values['heartbeat-interval-ms']),
    leaseMs: Number(values['lease-ms']),
    reporterIntervalMs: Number(values['reporter-interval-ms']),
    siteLostGraceMs: Number(values['site-lost-grace-ms']),
    pollIntervalMs: Number(values['poll-interval-ms']),
    lostAfterMs: Number(values['lost-after-ms']),
    gangStartTimeoutMs: Number(values['gang-start-timeout-ms']),
  },
});
process.exit(await supervisor.run());
