// A new leader holds again what placed-but-not-running jobs were promised: their gangs' devices are not free.
import { PROMISED_UNITS } from '../../placement/promised.ts';
import { describe, expect, it } from 'vitest';
import type { TrainingJobStatus } from '../../api/generated/types.ts';
import { recordedPromise } from './recorded-promise.ts';
import { makeTrainingJob, variant } from './testing.ts';

const placed: TrainingJobStatus = { phase: 'Placed', site: 'shanghai', variant: 'h100', pool: 'h100', acceleratorResource: 'nvidia.com/gpu', placement: { epoch: 1 } };
const job = (status: TrainingJobStatus) => makeTrainingJob('train').workers(2).resources('16', '64Gi').variant(variant('h100').nvidia('H100', 8)).status(status).obj();

describe('recordedPromise', () => {
  it('holds every worker of a Placed job on its recorded pool, devices by the recorded resource name', () => {
    expect(recordedPromise(job(placed))).toEqual({ shanghai: { h100: { cpu: 32, memory: 2 * 64 * 2 ** 30, 'nvidia.com/gpu': 16, [PROMISED_UNITS]: 2 } } });
  });

  it.each([
    { what: 'Running (the report counts its bound workers)', status: { ...placed, phase: 'Running' } },
    { what: 'finished', status: { ...placed, phase: 'Succeeded' } },
    { what: 'recorded without a pool (an older operator)', status: { phase: 'Placed', site: 'shanghai', variant: 'h100', placement: { epoch: 1 } } },
    { what: 'never placed', status: { phase: 'Pending' } },
  ] as const)('holds nothing when $what', ({ status }) => {
    expect(recordedPromise(job(status as TrainingJobStatus))).toEqual({});
  });
});
