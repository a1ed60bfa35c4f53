// A load-generator worker of the herd bench: boots its share of emulated tracers (RcClient) on the ramp schedule
// and records, per tracer, boot → first FFE_FLAGS apply and boot → all expected configs.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Agent } from 'undici';
import { RcClient } from '../../src/client/index.js';
import { absoluteNowMs } from '../common/worker.js';
import type { HerdParentMessage, HerdWorkerData, HerdWorkerMessage, TracerResult } from './herd-protocol.js';

const data = workerData as HerdWorkerData;
const port = parentPort!;

interface Tracer {
  readonly index: number;
  readonly bootOffsetMs: number;
  readonly held: Set<string>;
  client?: RcClient;
  bootMs?: number;
  ffeMs?: number;
  allMs?: number;
}

// One pool per worker with no socket cap: a tracer's poll gets a socket of its own when it needs one, as each
// dd-trace process has its own; idle sockets are reused.
const dispatcher = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 10_000 } });
const tracers: Tracer[] = data.tracers.map((t) => ({ index: t.index, bootOffsetMs: t.bootOffsetMs, held: new Set() }));
const timers: NodeJS.Timeout[] = [];
let booted = 0;
let ffeCount = 0;
let allCount = 0;
let stopping = false;
let progressTimer: NodeJS.Timeout | undefined;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

const post = (message: HerdWorkerMessage): void => port.postMessage(message);

function boot(tracer: Tracer): void {
  if (stopping) return;
  const client = new RcClient({
    agentUrl: data.agentUrl,
    products: data.products,
    policy: data.clientPolicy,
    service: `bench-svc-${tracer.index % 100}`,
    env: 'bench',
    appVersion: '1.0.0',
    pollIntervalMs: data.pollIntervalMs,
    fastPollIntervalMs: data.fastPollIntervalMs,
    requestTimeoutMs: data.requestTimeoutMs,
    dispatcher,
  });
  const checkAll = (): void => {
    if (
      tracer.allMs === undefined &&
      data.expectedPaths.length > 0 &&
      data.expectedPaths.every((p) => tracer.held.has(p))
    ) {
      tracer.allMs = absoluteNowMs() - tracer.bootMs!;
      allCount++;
    }
  };
  client.on('apply', (change) => {
    if (change.product === data.ffeProduct && tracer.ffeMs === undefined) {
      tracer.ffeMs = absoluteNowMs() - tracer.bootMs!;
      ffeCount++;
    }
    tracer.held.add(change.path);
    checkAll();
  });
  client.on('modify', (change) => {
    tracer.held.add(change.path);
    checkAll();
  });
  client.on('unapply', (change) => tracer.held.delete(change.path));
  tracer.client = client;
  tracer.bootMs = absoluteNowMs();
  booted++;
  client.start();
}

function result(tracer: Tracer): TracerResult {
  const stats = tracer.client?.stats;
  return {
    index: tracer.index,
    ffeMs: tracer.ffeMs ?? null,
    allMs: tracer.allMs ?? null,
    requests: stats?.requests ?? 0,
    timeouts: stats?.timeouts ?? 0,
    errors: stats?.errors ?? 0,
  };
}

async function stopAll(): Promise<void> {
  stopping = true;
  clearInterval(progressTimer);
  for (const timer of timers) clearTimeout(timer);
  await Promise.all(tracers.flatMap((t) => (t.client === undefined ? [] : [t.client.stop()])));
  post({ type: 'progress', booted, ffe: ffeCount, all: allCount });
  loopDelay.disable();
  post({
    type: 'result',
    tracers: tracers.map(result),
    eventLoopDelay: { p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 },
  });
  await dispatcher.close();
}

port.on('message', (message: HerdParentMessage) => {
  if (message.type === 'start' && !stopping && progressTimer === undefined) {
    loopDelay.enable();
    for (const tracer of tracers) {
      const delayMs = Math.max(0, message.startAtMs + tracer.bootOffsetMs - absoluteNowMs());
      timers.push(setTimeout(() => boot(tracer), delayMs));
    }
    progressTimer = setInterval(
      () => post({ type: 'progress', booted, ffe: ffeCount, all: allCount }),
      data.progressIntervalMs,
    );
  } else if (message.type === 'stop' && !stopping) {
    stopAll().then(
      () => port.close(),
      (err: unknown) => {
        throw err;
      },
    );
  }
});

post({ type: 'ready' });
