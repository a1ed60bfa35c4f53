// A throughput load child process: autocannon over a pool of distinct request bodies, or a closed loop of gRPC
// ClientGetConfigs calls. Warm-up first (not measured), then the measured run; sends one result over IPC.
// A child rather than a worker thread: autocannon run inside a worker thread takes itself for one of its own workers
// and returns raw histograms.
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import { decodeClientGetConfigsRequest } from '../../src/http/index.js';
import { AGENT_SECURE_SERVICE, pb } from '../../src/proto/index.js';
import { createRawGrpcClient, grpcFrame } from './raw-grpc.js';
import type { GrpcLoadData, HttpLoadData, LoadData, LoadResult, LoadWorkerMessage } from './throughput-protocol.js';

const post = (message: LoadWorkerMessage): void => {
  process.send?.(message, undefined, undefined, () => process.disconnect());
};

function cannon(d: HttpLoadData, durationS: number): Promise<autocannon.Result> {
  return autocannon({
    url: d.url,
    connections: d.connections,
    duration: durationS,
    pipelining: 1,
    requests: d.bodies.map((body) => ({
      method: 'POST' as const,
      path: d.path,
      body,
      headers: { 'content-type': 'application/json; charset=utf-8' },
    })),
  });
}

async function runHttp(d: HttpLoadData): Promise<LoadResult> {
  if (d.warmupS > 0) await cannon(d, d.warmupS);
  const r = await cannon(d, d.durationS);
  return {
    requests: r.requests.total,
    requestsPerS: r.requests.average,
    latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.mean },
    errors: r.non2xx,
    transportErrors: r.errors + r.timeouts,
    durationS: r.duration,
  };
}

async function runGrpc(d: GrpcLoadData): Promise<LoadResult> {
  // pre-encoded, pre-framed requests over a lean HTTP/2 caller: the generator must not be the limit
  const requests = d.bodies.map((b) =>
    grpcFrame(pb.ClientGetConfigsRequest.encode(decodeClientGetConfigsRequest(b)).finish()),
  );
  const path = `/${AGENT_SECURE_SERVICE}/ClientGetConfigs`;
  const client = createRawGrpcClient(d.address, {
    token: d.token,
    certPem: d.certPem,
    sessions: Math.max(1, Math.min(8, Math.ceil(d.concurrency / 16))),
  });
  try {
    const loop = async (durationS: number, histogram?: hdr.Histogram) => {
      let next = 0;
      let calls = 0;
      let failures = 0;
      const deadline = performance.now() + durationS * 1000;
      const lane = async (): Promise<void> => {
        while (performance.now() < deadline) {
          const request = requests[next++ % requests.length]!;
          const started = performance.now();
          try {
            await client.call(path, request);
            histogram?.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
            calls++;
          } catch {
            failures++;
          }
        }
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: d.concurrency }, lane));
      return { calls, failures, elapsedS: (performance.now() - started) / 1000 };
    };
    if (d.warmupS > 0) await loop(d.warmupS);
    const histogram = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const { calls, failures, elapsedS } = await loop(d.durationS, histogram);
    const ms = (us: number): number => Math.round(us / 10) / 100;
    return {
      requests: calls,
      requestsPerS: Math.round(calls / elapsedS),
      latencyMs: {
        p50: ms(histogram.getValueAtPercentile(50)),
        p90: ms(histogram.getValueAtPercentile(90)),
        p99: ms(histogram.getValueAtPercentile(99)),
        max: ms(histogram.maxValue),
        mean: ms(histogram.mean),
      },
      errors: failures,
      transportErrors: 0,
      durationS: Math.round(elapsedS * 10) / 10,
    };
  } finally {
    client.close();
  }
}

process.once('message', (data: LoadData) => {
  (data.kind === 'http' ? runHttp(data) : runGrpc(data)).then(
    (result) => post({ type: 'result', result }),
    (err: unknown) => post({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.once('disconnect', () => process.exit(0));
