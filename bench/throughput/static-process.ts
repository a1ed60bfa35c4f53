// The static-route server as a child process on the agent's core (see static-server.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BenchError } from '../error.js';
import { pinnedCommand, stopChild, trackChild } from '../common/index.js';
import type { Variant } from './throughput-types.js';

export interface CapturedReply {
  readonly contentType: string;
  readonly body: Buffer;
}

export interface StaticProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export function tsxLoader(repoRoot: string): string {
  return `file://${join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')}`;
}

export async function startStaticProcess(opts: {
  repoRoot: string;
  workDir: string;
  cpus: string | undefined;
  replies: Readonly<Record<Variant, CapturedReply>>;
}): Promise<StaticProcess> {
  const repliesFile = join(opts.workDir, 'static-replies.json');
  const json: Record<string, { contentType: string; bodyBase64: string }> = {};
  for (const [variant, reply] of Object.entries(opts.replies)) {
    json[variant] = { contentType: reply.contentType, bodyBase64: reply.body.toString('base64') };
  }
  writeFileSync(repliesFile, JSON.stringify(json));
  const script = new URL('./static-server.ts', import.meta.url).pathname;
  const { command, args } = pinnedCommand(
    process.execPath,
    ['--import', tsxLoader(opts.repoRoot), script, repliesFile],
    opts.cpus,
  );
  const child: ChildProcess = spawn(command, args, { cwd: opts.repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  trackChild(child);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      const timer = setTimeout(
        () => reject(new BenchError('LOAD_GENERATOR', 'the static server did not start')),
        30_000,
      );
      lines.on('line', (line) => {
        const match = /^listening static (http:\/\/\S+)$/.exec(line);
        if (match?.[1]) {
          clearTimeout(timer);
          child.stdout?.resume();
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new BenchError('LOAD_GENERATOR', `the static server exited (code ${code})`));
      });
    });
    return { url, pid: child.pid!, stop: () => stopChild(child, 5000) };
  } catch (err) {
    await stopChild(child, 5000);
    throw err;
  }
}
