import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureNames } from './test-fixtures.ts';

/**
 * Every shared device fixture has a test here that asserts the devices parsed from it. A fixture added to the shared
 * folder without a test fails this file, so the parsers cannot silently fall behind the research.
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

/** NOT_DEVICE_OUTPUT are fixtures that hold no device output, with the reason they are not parsed here. */
const NOT_DEVICE_OUTPUT: Readonly<Record<string, string>> = {
  'README.md': 'provenance notes for the fixtures',
  'siteagent_v1.proto': 'the agent wire schema, tested with the wire code in src/agent/wire',
};

describe('shared device fixtures', () => {
  it('every fixture is either covered by a parser test or listed as not device output', () => {
    const known = [...Object.keys(COVERED), ...Object.keys(NOT_DEVICE_OUTPUT)].sort();
    expect(fixtureNames()).toEqual(known);
  });
  it.each(Object.entries(COVERED))('%s is read by %s', (name, testFile) => {
    const source = readFileSync(path.join(import.meta.dirname, testFile), 'utf8');
    expect(source).toContain(`fixture('${name}')`);
  });
});
