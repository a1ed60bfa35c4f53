import t from 'tap';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { Client, credentials, Metadata, status, type ClientReadableStream } from '@grpc/grpc-js';
import { ConfigStreamConsumer, type ConfigChange } from '../../src/configstream/consumer.js';
import { createRemoteAgentClient, type RemoteAgentClient } from '../../src/configstream/client.js';
import { RegisteredSession } from '../../src/configstream/session.js';
import type { IConfigEvent } from '../../src/proto/index.js';
import { AGENT_SECURE_REMOTE_AGENT_DEFINITION } from '../../src/grpc/index.js';
import { REMOTE_AGENT_DEFINITION } from '../../src/grpc/service-definition.js';
import { advanceUntil, startStreamHarness } from '../helpers/config-stream-harness.js';
import { until } from '../helpers/until.js';

const API_KEY = '0123456789abcdef0123456789abcdef';
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'datadog-config-stream.proto');

function collect(stream: ClientReadableStream<IConfigEvent>): { events: IConfigEvent[]; error?: { code: number } } {
  const out: { events: IConfigEvent[]; error?: { code: number } } = { events: [] };
  stream.on('data', (e: IConfigEvent) => out.events.push(e));
  stream.on('error', (e: { code: number }) => (out.error = e));
  return out;
}

async function register(c: RemoteAgentClient, flavor = 'trace-agent', pid = '42'): Promise<string> {
  const res = await c.register({ pid, flavor, displayName: flavor, services: [] });
  return res.sessionId!;
}

t.test('snapshot first, with sources, scrubbed secrets; then ordered updates fanned out', async (t) => {
  const dir = t.testdir();
  const h = await startStreamHarness(t, {
    dir,
    yaml: `api_key: ${API_KEY}\nlog_level: debug\nmy_component:\n  enabled: true\n  env: prod\n`,
    env: { DD_SITE: 'datadoghq.eu' },
  });
  const c = h.client();
  const res = await c.register({ pid: '42', flavor: 'trace-agent', displayName: 'Trace Agent', services: [] });
  t.match(res.sessionId, /^[0-9a-f-]{36}$/);
  t.equal(res.recommendedRefreshIntervalSecs, 10);

  const a = collect(c.streamConfigEvents('trace-agent', res.sessionId!));
  const b = collect(c.streamConfigEvents('system-probe', res.sessionId!));
  await until(() => a.events.length === 1 && b.events.length === 1, 'snapshots');
  const snap = a.events[0]!.snapshot!;
  t.ok(snap, 'first event is a snapshot');
  t.equal(snap.origin, 'datadog.yaml');
  const byKey = new Map(snap.settings!.map((s) => [s.key, s]));
  t.equal(byKey.get('log_level')!.source, 'file');
  t.equal(byKey.get('log_level')!.value!.stringValue, 'debug');
  t.equal(byKey.get('site')!.source, 'environment-variable');
  t.equal(byKey.get('cmd_port')!.source, 'default');
  t.equal(byKey.get('cmd_port')!.value!.numberValue, 5001);
  t.equal(byKey.get('run_path')!.source, 'cli');
  t.equal(byKey.get('stop_timeout')!.value!.numberValue, 10, 'durations in seconds');
  t.equal(byKey.get('my_component.env')!.value!.stringValue, 'prod', 'keys rc-agent does not read are streamed');
  t.equal(byKey.get('api_key')!.value!.stringValue, '*'.repeat(27) + 'bcdef', 'API key scrubbed');
  t.notOk(JSON.stringify(a.events).includes(API_KEY));
  t.notOk(JSON.stringify(a.events).includes(h.creds.token), 'auth token never streamed');

  // ordering and fan-out: three changes → three updates each, sequence IDs +1
  const seq0 = snap.sequenceId!;
  h.runtime.hub.set({ key: 'my_component.env', value: 'staging', source: 'file' });
  h.runtime.hub.set({ key: 'my_component.env', value: 'dev', source: 'file' });
  h.runtime.hub.set({ key: 'auth_token', value: 'secret-token-value', source: 'agent-runtime' });
  await until(() => a.events.length === 4 && b.events.length === 4, 'updates');
  for (const got of [a, b]) {
    t.same(
      got.events.slice(1).map((e) => e.update!.sequenceId),
      [seq0 + 1, seq0 + 2, seq0 + 3],
    );
  }
  t.equal(a.events[2]!.update!.setting!.value!.stringValue, 'dev');
  t.notOk(JSON.stringify(a.events).includes('secret-token-value'));
  const metrics = await h.registry.metrics();
  t.match(metrics, /rc_config_stream_subscribers 2/);
  t.match(metrics, /rc_config_stream_snapshots_sent_total 2/);
  t.match(metrics, /rc_config_stream_updates_sent_total 6/);
  t.match(metrics, /rc_remote_agents_registered 1/);
  t.equal(h.runtime.status().subscribers.length, 2);
});

t.test('the wire decodes with the Datadog field definitions', async (t) => {
  const dir = t.testdir();
  const h = await startStreamHarness(t, { dir, yaml: 'log_level: warn\n' });
  const root = await protobuf.load(FIXTURE);
  const ConfigEvent = root.lookupType('fixture.ConfigEvent');
  const session = await register(h.client());
  // a raw call: the response bytes as they are on the wire, decoded only by the fixture
  const raw = new Client(h.server.address, credentials.createSsl(Buffer.from(h.creds.certPem)), {
    'grpc.ssl_target_name_override': 'localhost',
  });
  t.teardown(() => raw.close());
  const md = new Metadata();
  md.set('authorization', `Bearer ${h.creds.token}`);
  md.set('session_id', session);
  const def = AGENT_SECURE_REMOTE_AGENT_DEFINITION.StreamConfigEvents;
  const frames: Buffer[] = [];
  const call = raw.makeServerStreamRequest(def.path, def.requestSerialize, (b: Buffer) => b, { name: 'x' }, md);
  call.on('data', (b: Buffer) => frames.push(b));
  call.on('error', () => undefined);
  await until(() => frames.length === 1, 'snapshot');
  h.runtime.hub.set({ key: 'log_level', value: 'error', source: 'remote-config' });
  await until(() => frames.length === 2, 'update');
  call.cancel();
  type Decoded = {
    event: string;
    snapshot?: {
      sequenceId: number;
      origin: string;
      settings: Array<{ key: string; source: string; value: { stringValue?: string; numberValue?: number } }>;
    };
    update?: { sequenceId: number; setting: { key: string; source: string; value: { stringValue?: string } } };
  };
  const decoded = frames.map((f) => ConfigEvent.toObject(ConfigEvent.decode(f), { oneofs: true }) as Decoded);
  t.equal(decoded[0]!.event, 'snapshot');
  t.equal(decoded[0]!.snapshot!.settings.find((s) => s.key === 'log_level')!.value.stringValue, 'warn');
  t.equal(decoded[0]!.snapshot!.settings.find((s) => s.key === 'cmd_port')!.value.numberValue, 5001);
  t.equal(decoded[0]!.snapshot!.origin, 'datadog.yaml');
  t.equal(decoded[1]!.event, 'update');
  t.match(decoded[1]!.update!.setting, { key: 'log_level', source: 'remote-config', value: { stringValue: 'error' } });
  t.equal(decoded[1]!.update!.sequenceId, decoded[0]!.snapshot!.sequenceId + 1);
});

t.test('auth: no bearer, no session, unknown session, expired and replaced sessions', async (t) => {
  const dir = t.testdir();
  const h = await startStreamHarness(t, { dir, yaml: '' });
  const noToken = h.client('');
  await t.rejects(noToken.register({ pid: '1', flavor: 'a', displayName: 'a' }), { code: status.UNAUTHENTICATED });
  const noTokenStream = collect(noToken.streamConfigEvents('a', 'whatever'));
  await until(() => noTokenStream.error !== undefined, 'error');
  t.equal(noTokenStream.error!.code, status.UNAUTHENTICATED);
  t.equal(noTokenStream.events.length, 0);

  const c = h.client();
  await t.rejects(c.register({ pid: '1', flavor: 'a', displayName: '' }), {
    code: status.INVALID_ARGUMENT,
    details: 'display_name is required',
  });
  const none = collect(c.streamConfigEvents('a', ''));
  const unknown = collect(c.streamConfigEvents('a', '00000000-0000-4000-8000-000000000000'));
  await until(() => none.error !== undefined && unknown.error !== undefined, 'errors');
  t.equal(none.error!.code, status.UNAUTHENTICATED);
  t.equal(unknown.error!.code, status.PERMISSION_DENIED);
  t.equal(none.events.length + unknown.events.length, 0, 'nothing sent before the session check');

  // expiry ends the open stream and refuses new ones
  const session = await register(c);
  const open = collect(c.streamConfigEvents('a', session));
  await until(() => open.events.length === 1, 'snapshot');
  await h.clock.advance(41_000);
  await until(() => open.error !== undefined, 'stream ended');
  t.equal(open.error!.code, status.PERMISSION_DENIED);
  await t.rejects(c.refresh(session), { code: status.NOT_FOUND });

  // re-registering the same flavor/pid invalidates the previous session
  const first = await register(c, 'otel', '7');
  const second = await register(c, 'otel', '7');
  t.not(first, second);
  await t.rejects(c.refresh(first), { code: status.NOT_FOUND });
  await c.refresh(second);
  t.equal(h.runtime.registry.list().length, 1);
});

t.test('file edit + SIGHUP: one update per changed key with its source; restart-only keys reported', async (t) => {
  const dir = t.testdir();
  const h = await startStreamHarness(t, { dir, yaml: 'log_level: info\ncmd_port: 5001\nfoo:\n  bar: 1\n' });
  const c = h.client();
  const got = collect(c.streamConfigEvents('a', await register(c)));
  await until(() => got.events.length === 1, 'snapshot');
  writeFileSync(h.file, 'log_level: debug\ncmd_port: 6001\nfoo:\n  bar: 2\n  baz: true\n');
  h.runtime.live.watch();
  t.teardown(() => h.runtime.live.close());
  process.kill(process.pid, 'SIGHUP');
  await until(() => got.events.length === 4, 'updates');
  const updates = got.events.slice(1).map((e) => e.update!.setting!);
  t.same(updates.map((s) => [s.key, s.source]).sort(), [
    ['foo.bar', 'file'],
    ['foo.baz', 'file'],
    ['log_level', 'file'],
  ]);
  t.same(h.levels, ['debug'], 'log level applied to the logger');
  t.same(
    h.runtime.status().pendingRestart.map((p) => [p.key, p.running, p.configured]),
    [['cmd_port', 5001, 6001]],
  );
  const cmd = h.runtime.hub.current().get('cmd_port')!;
  t.equal(cmd.value, 5001, 'the stream keeps the running port');
  // an invalid file changes nothing
  writeFileSync(h.file, 'log_level: loud\n');
  t.equal(h.runtime.live.reload('test'), false);
  t.match(h.runtime.status().lastReloadError, /log_level/);
  t.equal(got.events.length, 4);
});

t.test('a slow consumer is resynced with a snapshot while a fast one keeps streaming', async (t) => {
  const dir = t.testdir();
  const h = await startStreamHarness(t, { dir, yaml: '', subscriberBuffer: 32 });
  const c = h.client();
  const session = await register(c);
  const fast = collect(c.streamConfigEvents('fast', session));
  // its own connection: a paused stream holds back its connection's flow-control window
  const slowStream = h.client().streamConfigEvents('slow', session);
  const slow = collect(slowStream);
  await until(() => fast.events.length === 1 && slow.events.length === 1, 'snapshots');
  slowStream.pause();
  const big = 'x'.repeat(4096);
  const N = 300;
  for (let i = 0; i < N; i++) {
    h.runtime.hub.set({ key: `k${i % 5}`, value: `${big}${i}`, source: 'file' });
    // a paced producer: the fast consumer keeps up, the paused one cannot
    await new Promise((r) => setTimeout(r, 1));
  }
  await until(() => fast.events.length === N + 1, 'fast consumer got every update', 10_000);
  const seqs = fast.events.slice(1).map((e) => e.update!.sequenceId!);
  t.ok(
    seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1),
    'fast: no gap',
  );
  t.equal(h.runtime.hub.list().find((s) => s.name === 'fast')!.resyncs, 0, 'fast consumer never resynced');
  const slowInfo = h.runtime.hub.list().find((s) => s.name === 'slow')!;
  t.ok(slowInfo.resyncs > 0, 'slow consumer overflowed');
  slowStream.resume();
  const last = seqs[seqs.length - 1]!;
  await until(
    () => {
      const e = slow.events[slow.events.length - 1];
      return (e?.snapshot?.sequenceId ?? e?.update?.sequenceId) === last;
    },
    'slow consumer caught up',
    2000,
  );
  const resyncSnapshot = slow.events.slice(1).find((e) => e.snapshot);
  t.ok(resyncSnapshot, 'slow consumer got a fresh snapshot instead of a gap');
  let prev = 0;
  let consistent = true;
  for (const e of slow.events) {
    if (e.snapshot) prev = e.snapshot.sequenceId!;
    else if (e.update!.sequenceId !== ++prev) consistent = false;
  }
  t.ok(consistent, 'slow: every update follows its predecessor or a snapshot');
  t.match(await h.registry.metrics(), /rc_config_stream_resyncs_total\{reason="overflow"\} [1-9]/);
});

t.test(
  'consumer: ready gate, subscribe, server restart (stale snapshot refused; persisted IDs continue)',
  async (t) => {
    const dir = t.testdir();
    let h = await startStreamHarness(t, { dir, yaml: 'log_level: info\n' });
    const port = h.server.port;
    const clock = h.clock;
    const client = createRemoteAgentClient(`127.0.0.1:${port}`, h.creds, { 'grpc.use_local_subchannel_pool': 1 });
    t.teardown(() => client.close());
    const session = new RegisteredSession({
      client,
      registration: { pid: '9', flavor: 'node-agent', displayName: 'Node agent' },
      clock,
    });
    t.teardown(() => session.close());
    const consumer = new ConfigStreamConsumer({
      client,
      name: 'node-agent',
      sessionIdProvider: session,
      clock,
      random: () => 0.5,
    });
    t.teardown(() => consumer.close());
    const changes: ConfigChange[] = [];
    consumer.subscribe((c) => changes.push(c));
    await consumer.waitReady();
    t.equal(consumer.get('log_level'), 'info');
    t.equal(consumer.setting('log_level')!.source, 'file');
    h.runtime.hub.set({ key: 'log_level', value: 'debug', source: 'remote-config' });
    await until(() => consumer.get('log_level') === 'debug', 'update applied');
    t.match(changes.at(-1), { key: 'log_level', oldValue: 'info', newValue: 'debug', source: 'remote-config' });
    const before = consumer.lastSeqId;

    // a server with a fresh data dir starts its IDs at 1: its snapshot is refused, never applied
    await h.stop();
    const freshDir = mkdtempSync(join(tmpdir(), 'rc-cstream-'));
    t.teardown(() => rmSync(freshDir, { recursive: true, force: true }));
    for (const f of ['auth_token', 'ipc_cert.pem']) copyFileSync(join(dir, f), join(freshDir, f));
    const fresh = await startStreamHarness(t, { dir: freshDir, yaml: 'log_level: error\n', clock, port });
    const stale: number[] = [];
    consumer.on('stale', (seq) => stale.push(seq));
    // the stream ended; it reconnects after the jittered 5 s and registers again (the new server has no session)
    await advanceUntil(clock, () => stale.length > 0, 'stale snapshot');
    t.ok(fresh.runtime.hub.sequenceId < before, 'the fresh server counts from 1');
    t.equal(consumer.get('log_level'), 'debug', 'stale snapshot not applied');
    t.equal(consumer.lastSeqId, before, 'lastSeqId never reset');
    await fresh.stop();

    // the restarted agent on the same run_path continues its IDs: the consumer resyncs without a restart
    h = await startStreamHarness(t, { dir, yaml: 'log_level: warn\n', clock, port });
    await advanceUntil(clock, () => consumer.get('log_level') === 'warn', 'resync after restart');
    t.equal(consumer.get('log_level'), 'warn', 'consistent again');
    t.ok(consumer.lastSeqId > before);
    t.equal(consumer.origin, 'datadog.yaml');
  },
);

t.test('waitReady times out (and honours its signal)', async (t) => {
  const dir = t.testdir();
  const h = await startStreamHarness(t, { dir, yaml: '' });
  const consumer = new ConfigStreamConsumer({
    client: h.client(),
    name: 'x',
    sessionId: '00000000-0000-4000-8000-000000000000',
    clock: h.clock,
    readyTimeoutMs: 1000,
  });
  t.teardown(() => consumer.close());
  const ready = t.rejects(consumer.waitReady(), { code: 'READY_TIMEOUT' });
  await h.clock.advance(1000);
  await ready;
  const ac = new AbortController();
  const aborted = consumer.waitReady(ac.signal);
  ac.abort();
  await t.rejects(aborted, { code: 'ABORTED' });
  t.throws(() => new ConfigStreamConsumer({ client: h.client(), name: 'x' }), TypeError);
});

t.test('the registry is also served as datadog.remoteagent.v1.RemoteAgent', async (t) => {
  const dir = t.testdir();
  const h = await startStreamHarness(t, { dir, yaml: '' });
  const raw = new Client(h.server.address, credentials.createSsl(Buffer.from(h.creds.certPem)), {
    'grpc.ssl_target_name_override': 'localhost',
  });
  t.teardown(() => raw.close());
  const call = <Req, Res>(
    def: { path: string; requestSerialize: (r: Req) => Buffer; responseDeserialize: (b: Buffer) => Res },
    req: Req,
    token = h.creds.token,
  ) =>
    new Promise<Res>((resolve, reject) => {
      const md = new Metadata();
      if (token) md.set('authorization', `Bearer ${token}`);
      raw.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, md, {}, (e, v) =>
        e ? reject(e) : resolve(v as Res),
      );
    });
  t.equal(REMOTE_AGENT_DEFINITION.RegisterRemoteAgent.path, '/datadog.remoteagent.v1.RemoteAgent/RegisterRemoteAgent');
  const res = await call(REMOTE_AGENT_DEFINITION.RegisterRemoteAgent, {
    pid: '3',
    flavor: 'otel',
    displayName: 'OTel',
  });
  t.match(res.sessionId, /^[0-9a-f-]{36}$/);
  await call(REMOTE_AGENT_DEFINITION.RefreshRemoteAgent, { sessionId: res.sessionId });
  t.ok(h.runtime.registry.isValid(res.sessionId!));
  await t.rejects(call(REMOTE_AGENT_DEFINITION.RefreshRemoteAgent, { sessionId: res.sessionId }, ''), {
    code: status.UNAUTHENTICATED,
  });
});
