// The Redis a replica fleet shares in `bench herd --replicas N`: Debian's `redis-server` on a free loopback port, in
// a temp dir, no persistence, pinned like the load side (it stands for remote infrastructure, as the simulator does).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchError } from '../error.js';
import { pinnedCommand, stopChild, trackChild } from '../common/index.js';

export interface RedisProcess {
  readonly url: string;
  readonly pid: number;
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
    });
  });
}

export async function startRedisProcess(cpus: string | undefined): Promise<RedisProcess> {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new BenchError(
      'REDIS_START',
      'redis-server is not installed (Debian: apt-get install redis-server); --replicas N with Redis needs it, --independent does not',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'rc-bench-redis-'));
  const port = await freeLoopbackPort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  const { command, args: argv } = pinnedCommand('redis-server', args, cpus);
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const close = async (): Promise<void> => {
    await stopChild(child, 2000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new BenchError('REDIS_START', `redis-server not ready within ${START_TIMEOUT_MS} ms:\n${out}`)),
        START_TIMEOUT_MS,
      );
      child.stdout.on('data', (chunk: Buffer) => {
        out = (out + chunk.toString()).slice(-4096);
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          child.stdout.resume();
          resolve();
        }
      });
      child.stderr.resume();
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new BenchError('REDIS_START', `redis-server exited (code ${code}) before it was ready:\n${out}`));
      });
    });
  } catch (err) {
    await close();
    throw err;
  }
  return { url: `redis://127.0.0.1:${port}`, pid: child.pid ?? -1, close };
}
