// The static-route server as a child process on the agent's core (see static-server.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startListeningChild, type ListeningChild } from '../common/index.js';
import type { Variant } from './throughput-types.js';

export interface CapturedReply {
  readonly contentType: string;
  readonly body: Buffer;
}

export type StaticProcess = ListeningChild;

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
  return startListeningChild({
    what: 'static',
    command: process.execPath,
    args: ['--import', tsxLoader(opts.repoRoot), script, repliesFile],
    cwd: opts.repoRoot,
    cpus: opts.cpus,
  });
}

/** The static gRPC server (static-grpc-server.ts) on the agent's core, answering `reply` with the agent's TLS files. */
export async function startStaticGrpcProcess(opts: {
  repoRoot: string;
  workDir: string;
  cpus: string | undefined;
  pemFile: string;
  tokenFile: string;
  reply: Uint8Array;
  name: string;
}): Promise<StaticProcess> {
  const replyFile = join(opts.workDir, `static-grpc-${opts.name}.bin`);
  writeFileSync(replyFile, opts.reply);
  const script = new URL('./static-grpc-server.ts', import.meta.url).pathname;
  return startListeningChild({
    what: 'static gRPC',
    command: process.execPath,
    args: ['--import', tsxLoader(opts.repoRoot), script, opts.pemFile, opts.tokenFile, replyFile],
    cwd: opts.repoRoot,
    cpus: opts.cpus,
  });
}
