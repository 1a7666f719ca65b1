/**
 * Process entry of the lab supervisor, spawned detached by startLab(). Arguments:
 *   --dir <dir> --topology <file> [--owner-pid <pid>] [--pod-complete-delay-ms <ms>] [--start-timeout-ms <ms>]
 */
import { parseArgs } from 'node:util';
import { Supervisor } from './supervisor.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    topology: { type: 'string' },
    'owner-pid': { type: 'string' },
    'pod-complete-delay-ms': { type: 'string', default: '5000' },
    'start-timeout-ms': { type: 'string', default: '90000' },
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
});
process.exit(await supervisor.run());
