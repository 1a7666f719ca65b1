import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DIR, FIXTURE_NOTICE, fixtureNames, SHARED_FIXTURE_DIR } from './test-fixtures.ts';

/**
 * Every device fixture has a test here that asserts the devices parsed from it. The fixtures the tests read are copied
 * into the repository (test/fixtures/devices, see its NOTICE.md) so that the unit tests need nothing outside it. A
 * fixture added to either folder without a test fails this file, so the parsers cannot silently fall behind the
 * research; when the shared research folder is beside the repository, the copies must also match it byte for byte.
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

/**
 * SHARED_NOT_DEVICE_OUTPUT are files of the shared fixture folder that hold no device output, with the reason they
 * are neither parsed nor copied here.
 */
const SHARED_NOT_DEVICE_OUTPUT: Readonly<Record<string, string>> = {
  'README.md': 'provenance notes for the fixtures (carried over into NOTICE.md)',
  'siteagent_v1.proto': 'the agent wire schema, tested with the wire code in src/wire',
};

/** SHARED_ABSENT is why the comparison with the shared folder is skipped on a checkout without it. */
const SHARED_ABSENT = `skipped: the shared research fixtures (${SHARED_FIXTURE_DIR}) are not beside the repository, so the in-repository copies in ${FIXTURE_DIR} cannot be compared with them`;

describe('device fixtures', () => {
  it('every fixture in the repository is covered by a parser test, besides the provenance notice', () => {
    expect(fixtureNames()).toEqual([...Object.keys(COVERED), FIXTURE_NOTICE].sort());
  });
  it.each(Object.entries(COVERED))('%s is read by %s', (name, testFile) => {
    const source = readFileSync(path.join(import.meta.dirname, testFile), 'utf8');
    expect(source).toContain(`fixture('${name}')`);
  });
});

describe('device fixtures against the shared research folder', () => {
  const sharedPresent = existsSync(SHARED_FIXTURE_DIR);
  it('every shared fixture is copied here and covered, or listed as not device output', (ctx) => {
    if (!sharedPresent) ctx.skip(SHARED_ABSENT);
    const known = [...Object.keys(COVERED), ...Object.keys(SHARED_NOT_DEVICE_OUTPUT)].sort();
    expect(readdirSync(SHARED_FIXTURE_DIR).sort()).toEqual(known);
  });
  it('every copy here is byte-identical to the shared fixture', (ctx) => {
    if (!sharedPresent) ctx.skip(SHARED_ABSENT);
    const differing = Object.keys(COVERED).filter(
      (name) => !readFileSync(path.join(FIXTURE_DIR, name)).equals(readFileSync(path.join(SHARED_FIXTURE_DIR, name))),
    );
    expect(differing).toEqual([]);
  });
});
