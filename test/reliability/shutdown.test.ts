// Issue 13 property 6: SIGTERM with 200 requests in flight (each blocked in a bypass wait on a slow backend) against
// a real agent process. Both listeners stop accepting at once, every in-flight request is answered, an idle
// keep-alive connection does not hold the drain, the process exits 0 on its own (the forced exit after
// stop_timeout + 1 s would exit 1), logs are flushed; a second signal forces the exit.
import { connect } from 'node:net';
import t from 'tap';
import { Agent, request } from 'undici';
import {
  getJson,
  postConfig,
  startAgentWithBackend,
  tracerRequest,
  waitReady,
  type ConfigAnswer,
} from '../helpers/agent-with-backend.js';
import { waitUntil } from '../helpers/agent-process.js';

const IN_FLIGHT = 200;
/** Each bypass refresh takes this long at the backend: the requests are still waiting when SIGTERM arrives. */
const BACKEND_RTT_MS = 1_500;

/** 'refused' when nothing listens on `port` any more. */
function tryConnect(port: number): Promise<'connected' | 'refused'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', () => resolve('refused'));
  });
}

t.test('SIGTERM with 200 requests in flight: all answered, both listeners closed at once, exit 0', async (t) => {
  const h = await startAgentWithBackend(t, { env: { DD_STOP_TIMEOUT: '5s' } });
  await waitReady(h.agent.httpUrl);
  const httpPort = Number(new URL(h.agent.httpUrl).port);
  const grpcPort = Number(h.agent.grpcAddress.split(':').at(-1));

  // an idle kept-alive connection: it must not hold the drain until its keep-alive timeout
  const keepAlive = new Agent({ keepAliveTimeout: 60_000, connections: 1 });
  t.teardown(() => keepAlive.close());
  const warm = await request(`${h.agent.httpUrl}/healthz`, { dispatcher: keepAlive });
  await warm.body.dump();

  h.backend.setRttMs(BACKEND_RTT_MS);
  const before = h.backend.stats.configurationsRequests;
  const answers: Array<Promise<ConfigAnswer | Error>> = [];
  for (let i = 0; i < IN_FLIGHT; i++) {
    // APM_TRACING is not fast lane: the standard bypass wait holds each request for up to its block TTL
    answers.push(postConfig(h.agent.httpUrl, tracerRequest(`shutdown-${i}`, ['APM_TRACING'])).catch((e: Error) => e));
  }
  let answered = 0;
  for (const a of answers) void a.then(() => answered++);
  // every request has reached the agent (it tracks the client on arrival) or been answered: none is still connecting
  await waitUntil('all requests at the agent', async () => {
    const st = (await getJson<{ activeClients: Array<{ id: string }> }>(`${h.agent.httpUrl}/status`)).body;
    const arrived = st.activeClients.filter((c) => c.id.startsWith('shutdown-')).length;
    return arrived === IN_FLIGHT || answered === IN_FLIGHT ? true : undefined;
  });
  // and the bypass refresh they wait for is at the (slow) backend
  await waitUntil('a bypass refresh at the backend', () =>
    h.backend.stats.configurationsRequests > before ? true : undefined,
  );

  const exited = h.agent.stop('SIGTERM');
  await waitUntil('the stop to begin', () => (/SIGTERM received/.test(h.agent.output()) ? true : undefined));
  // both listeners refuse new connections while requests are still being drained
  await waitUntil('both listeners closed', async () =>
    (await tryConnect(httpPort)) === 'refused' && (await tryConnect(grpcPort)) === 'refused' ? true : undefined,
  );
  t.ok(answered < IN_FLIGHT, `listeners closed while ${IN_FLIGHT - answered} requests were still in flight`);

  const code = await exited;
  const results = await Promise.all(answers);
  const errors = results.filter((r): r is Error => r instanceof Error);
  const statuses = new Map<number, number>();
  for (const r of results) if (!(r instanceof Error)) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  t.same(
    errors.map((e) => e.message),
    [],
    'no request lost (reset or unanswered)',
  );
  t.same(Object.fromEntries(statuses), { 200: IN_FLIGHT }, 'every in-flight request answered 200');
  t.equal(code, 0, 'exit 0 without the forced exit');
  t.comment(
    `chaos shutdown: in_flight=${IN_FLIGHT} answered_200=${statuses.get(200) ?? 0} lost=${errors.length} exit=${code}`,
  );
  const out = h.agent.output();
  t.notMatch(out, /stop_timeout reached/, 'the drain finished before stop_timeout (the idle connection was closed)');
  t.match(out, /"msg":"stopped"/, 'the last log line was flushed');
});

t.test('a second signal forces the exit while a drain is waiting', async (t) => {
  const h = await startAgentWithBackend(t, { env: { DD_STOP_TIMEOUT: '60s' } });
  await waitReady(h.agent.httpUrl);
  // a request whose body never completes keeps the drain waiting for the (long) stop_timeout
  const port = Number(new URL(h.agent.httpUrl).port);
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  t.teardown(() => socket.destroy());
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('POST /v0.7/config HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"cli');
  // a later exchange on another connection: the agent has read the partial request by then
  await (await request(`${h.agent.httpUrl}/healthz`)).body.dump();
  h.agent.child.kill('SIGTERM');
  await waitUntil('the stop to begin', () => (/SIGTERM received/.test(h.agent.output()) ? true : undefined));
  const code = await h.agent.stop('SIGINT');
  t.equal(code, 1, 'forced exit');
  t.match(h.agent.output(), /SIGINT received again, exiting now/);
});
