// Which cores the agent and the load generator get. On a small machine the load generator must not starve the
// agent: when taskset exists the agent child is pinned to core 0 and the bench process (its worker threads, the
// in-process backend simulator and every load child) to the other cores.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface CpuPlan {
  /** Cores this machine offers to Node. */
  readonly cores: number;
  /** `taskset` is on PATH and pinning was asked for and possible (≥ 2 cores). */
  readonly pinned: boolean;
  /** taskset CPU list of the agent (and of the static HTTP server in the throughput bench), when pinned. */
  readonly agentCpus?: string;
  /** taskset CPU list of the bench process and its load generators, when pinned. */
  readonly loadCpus?: string;
  /** One line for the report. */
  readonly description: string;
}

export function hasTaskset(): boolean {
  const probe = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  return probe.status === 0;
}

export function planCpus(pin: boolean): CpuPlan {
  const cores = availableParallelism();
  if (!pin) return { cores, pinned: false, description: `not pinned (${cores} cores shared by agent and load)` };
  if (cores < 2) return { cores, pinned: false, description: `not pinned: only ${cores} core` };
  if (!hasTaskset()) return { cores, pinned: false, description: `not pinned: no taskset (${cores} cores shared)` };
  const loadCpus = cores === 2 ? '1' : `1-${cores - 1}`;
  return {
    cores,
    pinned: true,
    agentCpus: '0',
    loadCpus,
    description: `agent on core 0 (1 core), load generator and backend simulator on core(s) ${loadCpus} (${cores - 1})`,
  };
}

/** Pins every thread of this process (and so every worker and child it starts later) to `cpus`. */
export function pinSelf(cpus: string): boolean {
  const result = spawnSync('taskset', ['-a', '-cp', cpus, String(process.pid)], { stdio: 'ignore' });
  return result.status === 0;
}

/** The command line that runs `command args` on `cpus` (unchanged when `cpus` is undefined). */
export function pinnedCommand(
  command: string,
  args: readonly string[],
  cpus: string | undefined,
): { command: string; args: string[] } {
  if (cpus === undefined) return { command, args: [...args] };
  return { command: 'taskset', args: ['-c', cpus, command, ...args] };
}
