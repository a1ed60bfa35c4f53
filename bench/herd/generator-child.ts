// A herd load-generator child process: its share of emulated tracers, each lane on a keep-alive TCP connection of
// its own (as each dd-trace process has), bodies rendered from shared templates, replies read with a minimal HTTP
// parser and applied through interned lane states. It measures its own event-loop delay and CPU so the orchestrator
// can tell when the generator, not the agent, set the pace.
import { connect, type Socket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isCurrent, type FfeTimeline } from './freshness.js';
import { HttpReplyReader, type HttpReply } from './http-reply.js';
import { nextDelayMs, type LaneSpec } from './populations.js';
import { LaneState, ReplyError, type TracerIds } from './tracer-state.js';
import type {
  GeneratorChildMessage,
  GeneratorData,
  GeneratorParentMessage,
  GeneratorStats,
  TracerResult,
} from './herd-protocol.js';

interface Tracer {
  readonly index: number;
  readonly bootOffsetMs: number;
  readonly lanes: LaneRun[];
  bootMs: number;
  ffeMs: number | undefined;
  allMs: number | undefined;
  firstPollCurrent: boolean | undefined;
  maxHoldMs: number;
}

interface LaneRun {
  readonly spec: LaneSpec;
  readonly tracer: Tracer;
  readonly ids: TracerIds;
  readonly carriesFfe: boolean;
  readonly reader: HttpReplyReader;
  state: LaneState;
  socket: Socket | undefined;
  inFlight: boolean;
  sentMs: number;
  timeout: NodeJS.Timeout | undefined;
  timer: NodeJS.Timeout | undefined;
  delivered: boolean;
  failures: number;
  requests: number;
  timeouts: number;
  errors: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const send = (message: GeneratorChildMessage): void => {
  process.send?.(message);
};

let data: GeneratorData;
let tracers: Tracer[] = [];
let host = '127.0.0.1';
let ports: readonly number[] = [];
let sourceAddresses: readonly string[] = [];
/** Connections opened so far: the next one binds sourceAddresses[opened % length]. */
let opened = 0;
/** Per port: the request head up to the body length. */
let requestHeads: readonly string[] = [];
let timeline: FfeTimeline = [];
let stopping = false;
let started = false;
const counts = { booted: 0, ffe: 0, all: 0, sent: 0, replies: 0, timeouts: 0 };
const bootTimes = { first: Infinity, last: -Infinity };
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
let progressTimer: NodeJS.Timeout | undefined;
let cpuTimer: NodeJS.Timeout | undefined;
const cpu = { startUsage: process.cpuUsage(), startMs: 0, lastUsage: process.cpuUsage(), lastMs: 0, busiest: 0 };

function init(d: GeneratorData): void {
  data = d;
  const initial = d.lanes.map((spec) => LaneState.initial(spec.profile));
  tracers = d.tracers.map((t) => {
    const tracer: Tracer = {
      index: t.index,
      bootOffsetMs: t.bootOffsetMs,
      lanes: [],
      bootMs: 0,
      ffeMs: undefined,
      allMs: undefined,
      firstPollCurrent: undefined,
      maxHoldMs: 0,
    };
    const runtimeId = crypto.randomUUID();
    d.lanes.forEach((spec, i) => {
      tracer.lanes.push({
        spec,
        tracer,
        ids: { clientId: crypto.randomUUID(), runtimeId, service: `bench-svc-${t.index % 100}` },
        carriesFfe: spec.profile.products.some((p) => d.ffePath.includes(`/${p}/`)),
        reader: new HttpReplyReader(),
        state: initial[i]!,
        socket: undefined,
        inFlight: false,
        sentMs: 0,
        timeout: undefined,
        timer: undefined,
        delivered: false,
        failures: 0,
        requests: 0,
        timeouts: 0,
        errors: 0,
      });
    });
    return tracer;
  });
}

function start(message: Extract<GeneratorParentMessage, { type: 'start' }>): void {
  started = true;
  host = message.host;
  ports = message.ports;
  sourceAddresses = message.sourceAddresses;
  timeline = message.timeline;
  requestHeads = ports.map(
    (port) =>
      `POST /v0.7/config HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: `,
  );
  loopDelay.enable();
  cpu.startUsage = cpu.lastUsage = process.cpuUsage();
  cpu.startMs = cpu.lastMs = now();
  cpuTimer = setInterval(sampleCpu, 1000);
  for (const tracer of tracers) {
    const delayMs = Math.max(0, message.startAtMs + tracer.bootOffsetMs - now());
    setTimeout(() => boot(tracer), delayMs);
  }
  progressTimer = setInterval(() => send({ type: 'progress', ...counts }), data.progressIntervalMs);
}

function sampleCpu(): void {
  const usage = process.cpuUsage();
  const t = now();
  const busyMs = (usage.user - cpu.lastUsage.user + usage.system - cpu.lastUsage.system) / 1000;
  if (t - cpu.lastMs >= 500) cpu.busiest = Math.max(cpu.busiest, busyMs / (t - cpu.lastMs));
  cpu.lastUsage = usage;
  cpu.lastMs = t;
}

function boot(tracer: Tracer): void {
  if (stopping) return;
  tracer.bootMs = now();
  bootTimes.first = Math.min(bootTimes.first, tracer.bootMs);
  bootTimes.last = Math.max(bootTimes.last, tracer.bootMs);
  counts.booted++;
  for (const lane of tracer.lanes) poll(lane);
}

function poll(lane: LaneRun): void {
  lane.timer = undefined;
  if (stopping) return;
  let socket = lane.socket;
  if (socket === undefined || socket.destroyed) {
    const port = ports[lane.tracer.index % ports.length]!;
    const localAddress = sourceAddresses.length === 0 ? undefined : sourceAddresses[opened % sourceAddresses.length];
    opened++;
    socket = connect(localAddress === undefined ? { host, port } : { host, port, localAddress });
    socket.setNoDelay(true);
    const s = socket;
    s.on('data', (chunk: Buffer) => onData(lane, s, chunk));
    s.on('error', () => undefined);
    s.on('close', () => onClose(lane, s));
    lane.socket = s;
    lane.reader.reset();
  }
  const body = lane.state.template.render(lane.ids);
  lane.inFlight = true;
  lane.requests++;
  counts.sent++;
  lane.sentMs = now();
  lane.timeout = setTimeout(() => onTimeout(lane), data.requestTimeoutMs);
  socket.write(
    `${requestHeads[lane.tracer.index % ports.length]!}${lane.state.template.byteLength(lane.ids)}\r\n\r\n${body}`,
  );
}

function onData(lane: LaneRun, socket: Socket, chunk: Buffer): void {
  if (lane.socket !== socket || !lane.inFlight) return;
  let reply: HttpReply | undefined;
  try {
    reply = lane.reader.push(chunk);
  } catch {
    lane.errors++;
    finish(lane, true);
    return;
  }
  if (reply === undefined) return;
  const receivedMs = now();
  // A late loop may read a reply before the timeout timer fires: past the timeout it still does not count.
  if (receivedMs - lane.sentMs > data.requestTimeoutMs) {
    onTimeout(lane);
    return;
  }
  counts.replies++;
  const holdMs = receivedMs - lane.sentMs;
  if (holdMs > lane.tracer.maxHoldMs) lane.tracer.maxHoldMs = holdMs;
  if (reply.status >= 200 && reply.status < 300) {
    try {
      lane.state = lane.state.after(reply.body);
      lane.failures = 0;
      if (lane.state.targetsVersion > 0) lane.delivered = true;
    } catch (err) {
      if (!(err instanceof ReplyError)) throw err;
      lane.errors++;
      lane.failures++;
    }
  } else {
    lane.errors++;
    lane.failures++;
  }
  if (lane.carriesFfe) observe(lane, receivedMs);
  finish(lane, reply.close);
}

/** After a reply on a lane carrying FFE_FLAGS: does the tracer now hold the current flags, and everything? */
function observe(lane: LaneRun, receivedMs: number): void {
  const tracer = lane.tracer;
  const current = isCurrent(timeline, lane.state.held.get(data.ffePath), lane.sentMs);
  if (tracer.firstPollCurrent === undefined) tracer.firstPollCurrent = current;
  if (current && tracer.ffeMs === undefined) {
    tracer.ffeMs = receivedMs - tracer.bootMs;
    counts.ffe++;
  }
  checkAll(tracer, receivedMs);
}

function checkAll(tracer: Tracer, receivedMs: number): void {
  if (tracer.allMs !== undefined || tracer.ffeMs === undefined) return;
  for (const path of data.expectedPaths) {
    if (!tracer.lanes.some((l) => l.state.held.has(path))) return;
  }
  tracer.allMs = receivedMs - tracer.bootMs;
  counts.all++;
}

function onTimeout(lane: LaneRun): void {
  lane.timeout = undefined;
  if (!lane.inFlight) return;
  // dd-trace-js aborts the request, which destroys its socket; a late reply can no longer arrive.
  lane.timeouts++;
  counts.timeouts++;
  lane.failures++;
  finish(lane, true);
}

function onClose(lane: LaneRun, socket: Socket): void {
  if (lane.socket !== socket) return;
  lane.socket = undefined;
  if (!lane.inFlight) return;
  lane.errors++;
  lane.failures++;
  finish(lane, false);
}

function finish(lane: LaneRun, dropSocket: boolean): void {
  lane.inFlight = false;
  clearTimeout(lane.timeout);
  lane.timeout = undefined;
  if (dropSocket && lane.socket !== undefined) {
    const s = lane.socket;
    lane.socket = undefined;
    s.destroy();
  }
  // A first FFE_FLAGS request that timed out or failed did not bring the current flags either.
  if (lane.carriesFfe && lane.tracer.firstPollCurrent === undefined) lane.tracer.firstPollCurrent = false;
  if (stopping) return;
  // Other products may land on a lane without FFE_FLAGS: the "all configs" clock checks them too.
  if (!lane.carriesFfe) checkAll(lane.tracer, now());
  lane.timer = setTimeout(() => poll(lane), nextDelayMs(lane.spec, data.timing, lane, Math.random));
}

function result(tracer: Tracer): TracerResult {
  let requests = 0;
  let timeouts = 0;
  let errors = 0;
  for (const l of tracer.lanes) {
    requests += l.requests;
    timeouts += l.timeouts;
    errors += l.errors;
  }
  return {
    index: tracer.index,
    ffeMs: tracer.ffeMs ?? null,
    allMs: tracer.allMs ?? null,
    firstPollCurrent: tracer.firstPollCurrent ?? null,
    requests,
    timeouts,
    errors,
    maxHoldMs: requests === 0 ? null : Math.round(tracer.maxHoldMs * 10) / 10,
  };
}

function stop(): void {
  stopping = true;
  clearInterval(progressTimer);
  clearInterval(cpuTimer);
  sampleCpu();
  loopDelay.disable();
  for (const tracer of tracers) {
    for (const lane of tracer.lanes) {
      clearTimeout(lane.timer);
      clearTimeout(lane.timeout);
      // A reset, not a close: no TIME_WAIT is left holding ports (the next scenario's connects would walk past them).
      lane.socket?.resetAndDestroy();
    }
  }
  const usage = process.cpuUsage(cpu.startUsage);
  const wallMs = Math.max(1, now() - cpu.startMs);
  const stats: GeneratorStats = {
    generator: data.generator,
    pid: process.pid,
    tracers: tracers.length,
    eventLoopDelay: {
      p99Ms: Math.round(loopDelay.percentile(99) / 1e5) / 10,
      maxMs: Math.round(loopDelay.max / 1e5) / 10,
    },
    cpuMean: Math.round(((usage.user + usage.system) / 1000 / wallMs) * 100) / 100,
    cpuBusiestSecond: Math.round(cpu.busiest * 100) / 100,
    bootRatePerS:
      counts.booted > 1 && bootTimes.last > bootTimes.first
        ? Math.round(((counts.booted - 1) * 1000) / (bootTimes.last - bootTimes.first))
        : null,
  };
  send({ type: 'progress', ...counts });
  process.send?.({ type: 'result', tracers: tracers.map(result), stats } satisfies GeneratorChildMessage, () =>
    process.disconnect(),
  );
}

process.on('message', (message: GeneratorParentMessage) => {
  try {
    if (message.type === 'init') {
      init(message.data);
      send({ type: 'ready' });
    } else if (message.type === 'start' && !started) {
      start(message);
    } else if (message.type === 'stop' && !stopping) {
      stop();
    }
  } catch (err) {
    send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  }
});
process.on('disconnect', () => process.exit(0));
