/**
 * Creating many objects at once, the same way for every kind the benchmark compares: `concurrency` calls in flight
 * until all `count` are made, so the TrainingJobs and the plain objects of the raw limit meet the apiserver alike.
 */

/** Created is how a burst of creates went. */
export interface Created {
  readonly count: number;
  readonly seconds: number;
  /** failures: the first few failed calls' messages; failed is how many failed in all. */
  readonly failures: readonly string[];
  readonly failed: number;
}

const FAILURES_KEPT = 5;

/** createAll calls create(0 … count-1) with `concurrency` calls in flight; a failed call is counted, not retried. */
export async function createAll(count: number, concurrency: number, create: (i: number) => Promise<unknown>): Promise<Created> {
  let next = 0;
  let failed = 0;
  const failures: string[] = [];
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      try {
        await create(i);
      } catch (err) {
        failed += 1;
        if (failures.length < FAILURES_KEPT) failures.push(err instanceof Error ? err.message.slice(0, 300) : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { count, seconds: (performance.now() - started) / 1000, failures, failed };
}
