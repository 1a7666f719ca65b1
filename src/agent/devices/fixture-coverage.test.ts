import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_NOTICE, fixtureNames } from './test-fixtures.ts';

/**
 * Every device fixture has a test here that asserts the devices parsed from it. The fixtures the tests read are copied
 * into the repository (test/fixtures/devices, see its NOTICE.md) so that the unit tests need nothing outside it. A
 * fixture added here without a test fails this file, so the parsers cannot silently fall behind the research.
 * scripts/check-device-fixtures.sh compares the copies with the research folder they came from.
 */
const COVERED: Readonly<Record<string, string>> = {
  'amd-smi_metric_mi300x_gpu_data_shape.json': 'amd-smi.test.ts',
  'amd-smi_metric_mi300x_legacy_list_shape.json': 'amd-smi.test.ts',
  'rocm-smi_json_flat_keys.json': 'amd-smi.test.ts',
  'cnmon_2xMLU370-X8.txt': 'cnmon.test.ts',
  'dmesg_xid_samples.txt': 'xid.test.ts',
  'hy-smi_2xBW1000_with_dec_enc_columns.txt': 'hy-smi.test.ts',
  'hy-smi_8xDCU_no_dec_enc_columns.txt': 'hy-smi.test.ts',
  'npu-smi_info_310B1_alarm_excerpt.txt': 'npu-smi.test.ts',
  'npu-smi_info_8x910B3.txt': 'npu-smi.test.ts',
  'npu-smi_info_t_health.txt': 'npu-smi.test.ts',
  'nvidia-smi_1xH100_mig.csv': 'nvidia-smi.test.ts',
  'nvidia-smi_8xH100_degraded.stderr.txt': 'nvidia-smi.test.ts',
  'nvidia-smi_8xH100_degraded.stdout.csv': 'nvidia-smi.test.ts',
  'nvidia-smi_8xH100_healthy.csv': 'nvidia-smi.test.ts',
  'nvidia-smi_query_fields.txt': 'nvidia-query-fields.test.ts',
  'resourceslice_gpu.nvidia.com.yaml': 'resource-slice.test.ts',
};

describe('device fixtures', () => {
  it('every fixture in the repository is covered by a parser test, besides the provenance notice', () => {
    expect(fixtureNames()).toEqual([...Object.keys(COVERED), FIXTURE_NOTICE].sort());
  });
  it.each(Object.entries(COVERED))('%s is read by %s', (name, testFile) => {
    const source = readFileSync(path.join(import.meta.dirname, testFile), 'utf8');
    expect(source).toContain(`fixture('${name}')`);
  });
});
