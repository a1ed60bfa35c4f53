// A server child process that prints `listening <what> <url>` once it listens: the bench's reference servers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { BenchError } from '../error.js';
import { stopChild, trackChild } from './child-registry.js';
import { pinnedCommand } from './cpu-pinning.js';

export interface ListeningChild {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5000;

/** Spawns `command args` (pinned to `cpus`) and waits for its `listening … http://…` line. */
export async function startListeningChild(opts: {
  readonly what: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly cpus: string | undefined;
}): Promise<ListeningChild> {
  const { command, args } = pinnedCommand(opts.command, opts.args, opts.cpus);
  const child: ChildProcess = spawn(command, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  trackChild(child);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      const timer = setTimeout(
        () => reject(new BenchError('LOAD_GENERATOR', `the ${opts.what} server did not start`)),
        START_TIMEOUT_MS,
      );
      lines.on('line', (line) => {
        const match = /^listening \w+ (http:\/\/\S+)$/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          child.stdout?.resume();
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new BenchError('LOAD_GENERATOR', `the ${opts.what} server exited (code ${code})`));
      });
    });
    return { url, pid: child.pid!, stop: () => stopChild(child, STOP_GRACE_MS) };
  } catch (err) {
    await stopChild(child, STOP_GRACE_MS);
    throw err;
  }
}
