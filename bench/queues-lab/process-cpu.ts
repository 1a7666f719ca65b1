/**
 * Rough CPU accounting of the lab's processes from /proc/<pid>/stat (user + system time), so the benchmark can say
 * which component the 2 cores went to — the operator, the apiservers, etcd, kwok — without a profiler.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CLOCK_TICKS is the kernel's clock ticks per second, the unit of /proc/<pid>/stat times (usually 100). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** cpuSeconds is the user + system CPU time of a process (its own, not its children's); 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** CpuUse is one process's CPU time between two readings. */
export interface CpuUse {
  readonly label: string;
  readonly cpuSeconds: number;
}

/** CpuMeter reads a set of labelled processes at start() and reports what each used since. */
export class CpuMeter {
  readonly #processes: ReadonlyArray<{ label: string; pid: number }>;
  #start = new Map<number, number>();

  constructor(processes: ReadonlyArray<{ label: string; pid: number }>) {
    this.#processes = processes;
  }

  start(): void {
    this.#start = new Map(this.#processes.map((p) => [p.pid, cpuSeconds(p.pid)]));
  }

  /** used lists each process's CPU seconds since start(), most first. */
  used(): CpuUse[] {
    return this.#processes
      .map((p) => ({ label: p.label, cpuSeconds: cpuSeconds(p.pid) - (this.#start.get(p.pid) ?? 0) }))
      .sort((a, b) => b.cpuSeconds - a.cpuSeconds);
  }
}
