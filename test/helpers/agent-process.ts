// `./bin/rc-agent run` as a real child process, with its `listening …` lines parsed.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/rc-agent', import.meta.url));

export interface AgentProcess {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly child: ChildProcess;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `openFileLimit`: run the agent under `ulimit -n` of that value (soft and hard: Node cannot raise it again). */
export async function spawnAgent(
  env: Record<string, string>,
  timeoutMs = 20_000,
  opts: { readonly openFileLimit?: number } = {},
): Promise<AgentProcess> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('DD_') && k !== 'NODE_OPTIONS' && k !== 'NODE_V8_COVERAGE') childEnv[k] = v;
  }
  const [command, args] =
    opts.openFileLimit === undefined
      ? [BIN, ['run']]
      : ['/bin/sh', ['-c', `ulimit -n ${opts.openFileLimit} && exec "$0" run`, BIN]];
  const child = spawn(command, args, {
    env: { ...childEnv, DD_APM_RECEIVER_PORT: '0', DD_CMD_PORT: '0', DD_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<{ http: string; grpc: string }>((resolve, reject) => {
    let http: string | undefined;
    let grpc: string | undefined;
    const timer = setTimeout(() => reject(new Error(`agent did not start in ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      http ??= /^listening http (\S+)$/m.exec(out)?.[1];
      grpc ??= /^listening grpc (\S+)$/m.exec(out)?.[1];
      if (http && grpc) {
        clearTimeout(timer);
        resolve({ http, grpc });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`agent exited with ${code} before listening:\n${out}`));
    });
  });
  const { http, grpc } = await listening;
  return {
    httpUrl: http,
    grpcAddress: grpc,
    child,
    output: () => out,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export { waitUntil } from './until.js';
