/**
 * kwok's standalone controller simulates kubelets from Stage objects. The lab uses the upstream "fast" stages
 * (extracted from the pinned kwok module by tools/build-binaries.sh) with one change: Job pods stay Running for a
 * while before they complete, so a workload's Running phase is observable. A pod can set its own run time with
 * kwok's annotation `pod-complete.stage.kwok.x-k8s.io/delay` (a Go duration such as "30s").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dump, loadAll } from 'js-yaml';

/** POD_COMPLETE_DELAY_ANNOTATION sets how long kwok keeps one pod Running (a Go duration). */
export const POD_COMPLETE_DELAY_ANNOTATION = 'pod-complete.stage.kwok.x-k8s.io/delay';

interface Stage {
  metadata?: { name?: string };
  spec?: Record<string, unknown>;
}

/** writeLabStages copies the stage file from `from` to `to`, giving pod-complete a default delay. */
export function writeLabStages(from: string, to: string, podCompleteDelayMs: number): void {
  const docs = loadAll(readFileSync(from, 'utf8')).filter((d): d is Stage => typeof d === 'object' && d !== null);
  const complete = docs.find((d) => d.metadata?.name === 'pod-complete');
  if (!complete?.spec) throw new Error(`${from}: no pod-complete stage; rebuild with 'make binaries'`);
  complete.spec['delay'] = {
    durationMilliseconds: podCompleteDelayMs,
    durationFrom: { expressionFrom: `.metadata.annotations["${POD_COMPLETE_DELAY_ANNOTATION}"]` },
  };
  writeFileSync(to, docs.map((d) => `---\n${dump(d, { lineWidth: -1 })}`).join(''));
}
