// The consumer's ordering rules on a scripted event sequence (the real-gRPC paths are in stream.test.ts).
import t from 'tap';
import { PassThrough } from 'node:stream';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { ConfigStreamConsumer } from '../../src/configstream/consumer.js';
import { toProtoValue } from '../../src/configstream/values.js';
import { type RemoteAgentClient } from '../../src/configstream/client.js';
import type { IConfigEvent } from '../../src/proto/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

function scriptedClient() {
  const streams: PassThrough[] = [];
  const client: RemoteAgentClient = {
    register: async () => ({ sessionId: 's', recommendedRefreshIntervalSecs: 10 }),
    refresh: async () => undefined,
    streamConfigEvents: () => {
      const s = new PassThrough({ objectMode: true });
      Object.assign(s, { cancel: () => s.destroy() });
      streams.push(s);
      return s as unknown as ClientReadableStream<IConfigEvent>;
    },
    close: () => undefined,
  };
  return { client, streams };
}

const snap = (seq: number, level: string): IConfigEvent => ({
  snapshot: {
    origin: 'datadog.yaml',
    sequenceId: seq,
    settings: [{ key: 'log_level', source: 'file', value: toProtoValue(level) }],
  },
});
const upd = (seq: number, level: string): IConfigEvent => ({
  update: {
    origin: 'datadog.yaml',
    sequenceId: seq,
    setting: { key: 'log_level', source: 'cli', value: toProtoValue(level) },
  },
});

t.test('stale updates dropped, a gap reconnects, stale snapshots refused', async (t) => {
  const clock = new FakeClock();
  const { client, streams } = scriptedClient();
  const c = new ConfigStreamConsumer({ client, name: 'x', sessionId: 's', clock, random: () => 0.5 });
  t.teardown(() => c.close());
  c.start();
  await clock.drain();
  streams[0]!.write(snap(10, 'info'));
  await c.waitReady();
  streams[0]!.write(upd(11, 'debug'));
  streams[0]!.write(upd(11, 'error'));
  await clock.drain();
  t.equal(c.get('log_level'), 'debug', 'a repeated sequence ID is dropped');
  t.equal(c.lastSeqId, 11);
  streams[0]!.write(upd(13, 'warn'));
  await clock.drain();
  t.equal(c.get('log_level'), 'debug', 'not applied across a gap');
  await clock.advance(0);
  t.equal(streams.length, 2, 'reconnected at once for a fresh snapshot');
  streams[1]!.write(snap(11, 'trace'));
  await clock.drain();
  t.equal(c.get('log_level'), 'debug', 'snapshot not above lastSeqId refused');
  await clock.advance(4999);
  t.equal(streams.length, 2);
  await clock.advance(1);
  t.equal(streams.length, 3, 'retried after 5 s (jitter ×0.5..1.5; random 0.5 here)');
  streams[2]!.write(snap(13, 'warn'));
  await clock.drain();
  t.same(c.setting('log_level'), { value: 'warn', source: 'file' });
  t.equal(c.lastSeqId, 13);
});
