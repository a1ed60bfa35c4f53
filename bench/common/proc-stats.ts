// Resident memory and CPU time of a process, from /proc (Linux). Undefined elsewhere or once the process is gone.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcSample {
  readonly rssBytes: number;
  /** Peak resident set size since the process started (VmHWM). */
  readonly rssPeakBytes: number;
  /** User + system CPU time since the process started. */
  readonly cpuSeconds: number;
}

let clockTicksPerS: number | undefined;

function ticksPerSecond(): number {
  if (clockTicksPerS === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout?.trim());
    clockTicksPerS = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clockTicksPerS;
}

export function readProcSample(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces and parentheses): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return {
      rssBytes: kibField(status, 'VmRSS'),
      rssPeakBytes: kibField(status, 'VmHWM'),
      cpuSeconds: (utime + stime) / ticksPerSecond(),
    };
  } catch {
    return undefined;
  }
}

function kibField(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
}

/** Samples a process periodically and keeps the peak RSS; `stop()` returns the peak and the last sample. */
export class ProcSampler {
  #peakRssBytes = 0;
  #last: ProcSample | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs: number,
  ) {
    this.#take();
    this.#timer = setInterval(() => this.#take(), intervalMs);
    this.#timer.unref();
  }

  stop(): { peakRssBytes: number; last: ProcSample | undefined } {
    clearInterval(this.#timer);
    this.#take();
    return { peakRssBytes: this.#peakRssBytes, last: this.#last };
  }

  #take(): void {
    const sample = readProcSample(this.pid);
    if (sample === undefined) return;
    this.#last = sample;
    this.#peakRssBytes = Math.max(this.#peakRssBytes, sample.rssBytes);
  }
}
