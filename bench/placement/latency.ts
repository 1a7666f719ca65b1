/**
 * Timing one kind of placement decision: wall-clock latency percentiles per decision, CPU time per decision (steadier
 * than latency on a busy machine) and heap growth over the run. Run with `node --expose-gc` for a steadier heap
 * figure (the heap is collected before the timed loop when gc is exposed).
 */

/** Timing is one measured line: `count` decisions of one kind. */
export interface Timing {
  readonly name: string;
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** p50, p90, p99 and max: milliseconds per decision. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly cpuMsEach: number;
  readonly heapChangeMiB: number;
}

const WARM_UP = 50;

/** time runs `fn` WARM_UP times untimed (the JIT settles), then `count` times, timing each call. */
export function time(name: string, fn: (i: number) => unknown, count: number): Timing {
  for (let i = 0; i < WARM_UP; i++) fn(i);
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    fn(i);
    lat.push(performance.now() - s);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  const pct = (p: number): number => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] as number;
  return {
    name,
    count,
    seconds,
    perSecond: count / seconds,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    max: lat[lat.length - 1] as number,
    cpuMsEach: (cpu.user + cpu.system) / 1000 / count,
    heapChangeMiB: (process.memoryUsage().heapUsed - heap0) / 2 ** 20,
  };
}

/** timingLine renders one Timing as the benchmark prints it. */
export function timingLine(t: Timing, sites: number): string {
  const heap = `${t.heapChangeMiB >= 0 ? '+' : ''}${t.heapChangeMiB.toFixed(1)} MiB`;
  return (
    `${t.name}: ${t.count} decisions over ${sites} sites × 4 pools in ${t.seconds.toFixed(2)} s = ${t.perSecond.toFixed(0)}/s; ` +
    `latency ms p50 ${t.p50.toFixed(2)} p90 ${t.p90.toFixed(2)} p99 ${t.p99.toFixed(2)} max ${t.max.toFixed(2)}; ` +
    `cpu ${t.cpuMsEach.toFixed(2)} ms each; heap change ${heap}`
  );
}
