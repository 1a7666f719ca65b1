import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs pure code with no Kubernetes at all; `lab` runs against the real lab (etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok built from Go modules). Lab tests share the
// machine's two cores, so they run one file at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts', 'bench/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'lab',
          include: ['test/lab/**/*.test.ts'],
          globalSetup: ['test/lab/support/global-setup.ts'],
          environment: 'node',
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
