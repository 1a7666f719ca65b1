/**
 * A process's resident memory and CPU over a run, from /proc: VmRSS sampled on a timer (the peak of the samples and
 * the last one; VmHWM, the kernel's own high-water mark since the process started, beside them) and user + system CPU
 * seconds (bench/queues-lab/process-cpu.ts). readRssMiB is pure on the file's text.
 */
import { readFileSync } from 'node:fs';
import { cpuSeconds } from '../queues-lab/process-cpu.ts';

/** statusKiB reads one `Name:   1234 kB` field of /proc/<pid>/status text, in KiB; undefined when absent. */
export function statusKiB(statusText: string, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(statusText);
  return m === null ? undefined : Number(m[1]);
}

function readStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

/** MemorySample is what the sampler saw, in MiB. */
export interface MemoryFigures {
  readonly peakRssMiB: number | undefined;
  readonly lastRssMiB: number | undefined;
  readonly hwmMiB: number | undefined;
  readonly samples: number;
}

/** ProcessSampler follows one pid from start() to stop(). */
export class ProcessSampler {
  readonly pid: number;
  readonly #everyMs: number;
  #timer: NodeJS.Timeout | undefined;
  #peakKiB: number | undefined;
  #lastKiB: number | undefined;
  #hwmKiB: number | undefined;
  #samples = 0;
  #cpu0 = 0;

  constructor(pid: number, everyMs = 1000) {
    this.pid = pid;
    this.#everyMs = everyMs;
  }

  start(): void {
    this.#cpu0 = cpuSeconds(this.pid);
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#everyMs);
    this.#timer.unref();
  }

  /** sample reads VmRSS and VmHWM now; a gone process leaves the figures as they were. */
  sample(): void {
    const text = readStatus(this.pid);
    if (text === undefined) return;
    const rss = statusKiB(text, 'VmRSS');
    if (rss !== undefined) {
      this.#lastKiB = rss;
      this.#peakKiB = Math.max(this.#peakKiB ?? 0, rss);
      this.#samples += 1;
    }
    this.#hwmKiB = statusKiB(text, 'VmHWM') ?? this.#hwmKiB;
  }

  /** cpuSinceStart is the CPU seconds the process used since start(). */
  cpuSinceStart(): number {
    return cpuSeconds(this.pid) - this.#cpu0;
  }

  memory(): MemoryFigures {
    const mib = (k: number | undefined): number | undefined => (k === undefined ? undefined : k / 1024);
    return { peakRssMiB: mib(this.#peakKiB), lastRssMiB: mib(this.#lastKiB), hwmMiB: mib(this.#hwmKiB), samples: this.#samples };
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.sample();
  }
}
