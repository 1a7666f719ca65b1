import { describe, expect, it } from 'vitest';
import { amdSignals, ascendSignals, cambriconSignals, eccSignals, nvidiaSignals, verdict, type HealthSignal } from './health.ts';

const warn = (reason: string): HealthSignal => ({ level: 'warning', reason });
const unknown = (reason: string): HealthSignal => ({ level: 'unknown', reason });
const bad = (reason: string): HealthSignal => ({ level: 'unhealthy', reason });

describe('verdict', () => {
  const cases: Array<{ name: string; signals: HealthSignal[]; wantHealth: string; wantReasons: string[] }> = [
    { name: 'no signals', signals: [], wantHealth: 'Healthy', wantReasons: [] },
    { name: 'warnings only', signals: [warn('w')], wantHealth: 'Healthy', wantReasons: ['w'] },
    { name: 'unreadable value', signals: [warn('w'), unknown('u')], wantHealth: 'Unknown', wantReasons: ['u', 'w'] },
    { name: 'fault outweighs unreadable', signals: [warn('w'), unknown('u'), bad('b')], wantHealth: 'Unhealthy', wantReasons: ['b', 'u', 'w'] },
    { name: 'duplicate reasons collapse', signals: [bad('b'), bad('b')], wantHealth: 'Unhealthy', wantReasons: ['b'] },
  ];
  it.each(cases)('$name', ({ signals, wantHealth, wantReasons }) => {
    expect(verdict(signals)).toEqual({ health: wantHealth, healthReasons: wantReasons });
  });
});

describe('vendor rules', () => {
  const cases: Array<{ name: string; signals: HealthSignal[]; wantHealth: string }> = [
    { name: 'nvidia: nothing wrong', signals: nvidiaSignals({ eccUncorrectedVolatile: 0, remappedRowsPending: false, recoveryAction: 'None' }), wantHealth: 'Healthy' },
    { name: 'nvidia: volatile uncorrectable ECC', signals: nvidiaSignals({ eccUncorrectedVolatile: 1 }), wantHealth: 'Unhealthy' },
    { name: 'nvidia: recovery action reboot', signals: nvidiaSignals({ recoveryAction: 'Node Reboot' }), wantHealth: 'Unhealthy' },
    { name: 'nvidia: pending remap only warns', signals: nvidiaSignals({ remappedRowsPending: true }), wantHealth: 'Healthy' },
    { name: 'nvidia: unreadable health field', signals: nvidiaSignals({ unreadable: ['remapped_rows.failure'] }), wantHealth: 'Unknown' },
    { name: 'ascend: OK', signals: ascendSignals('OK'), wantHealth: 'Healthy' },
    { name: 'ascend: OK but fault codes listed', signals: ascendSignals('OK', { errorCodes: ['80E21007'] }), wantHealth: 'Healthy' },
    { name: 'ascend: Warning', signals: ascendSignals('Warning'), wantHealth: 'Healthy' },
    { name: 'ascend: Alarm', signals: ascendSignals('Alarm'), wantHealth: 'Unhealthy' },
    { name: 'ascend: Critical', signals: ascendSignals('critical'), wantHealth: 'Unhealthy' },
    { name: 'ascend: UNKNOWN (absent)', signals: ascendSignals('UNKNOWN'), wantHealth: 'Unhealthy' },
    { name: 'ascend: unrecognised', signals: ascendSignals('???'), wantHealth: 'Unknown' },
    { name: 'amd: uncorrectable ECC', signals: amdSignals({ eccUncorrectable: 1 }), wantHealth: 'Unhealthy' },
    { name: 'amd: deferred ECC', signals: amdSignals({ eccDeferred: 4 }), wantHealth: 'Healthy' },
    { name: 'amd: no ECC data', signals: amdSignals({}), wantHealth: 'Healthy' },
    { name: 'cambricon: ECC errors', signals: cambriconSignals(1), wantHealth: 'Unhealthy' },
    { name: 'cambricon: ECC N/A', signals: cambriconSignals(undefined), wantHealth: 'Healthy' },
    { name: 'any vendor: ECC count 0', signals: eccSignals('hy-smi', 0), wantHealth: 'Healthy' },
  ];
  it.each(cases)('$name -> $wantHealth', ({ signals, wantHealth }) => {
    expect(verdict(signals).health).toBe(wantHealth);
  });
});
