// What a result was measured with: commit, machine, runtime (STYLE.md 11: results record config and commit).
import { spawnSync } from 'node:child_process';
import { cpus, hostname, totalmem, availableParallelism } from 'node:os';

export interface RunInfo {
  readonly startedAt: string;
  readonly git: { readonly commit: string | null; readonly dirty: boolean | null };
  readonly machine: {
    readonly hostname: string;
    readonly cpuModel: string;
    readonly cores: number;
    readonly totalMemoryBytes: number;
    readonly platform: string;
    readonly arch: string;
  };
  readonly node: string;
}

export function collectRunInfo(repoRoot: string, now: () => Date = () => new Date()): RunInfo {
  const git = (args: string[]): string | null => {
    const out = spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' });
    return out.status === 0 ? out.stdout.trim() : null;
  };
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    startedAt: now().toISOString(),
    git: { commit: git(['rev-parse', 'HEAD']), dirty: status === null ? null : status !== '' },
    machine: {
      hostname: hostname(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      totalMemoryBytes: totalmem(),
      platform: process.platform,
      arch: process.arch,
    },
    node: process.version,
  };
}
