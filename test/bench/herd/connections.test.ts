// The herd's connection budget (connection-budget.ts) and its loopback source addresses (source-addresses.ts).
import { connect, createServer, type Socket } from 'node:net';
import t from 'tap';
import { BenchError } from '../../../bench/error.js';
import {
  checkAgentConnections,
  connectionsPerAgent,
  generatorProcsFor,
} from '../../../bench/herd/connection-budget.js';
import { loopbackSourceAddresses, SOURCE_ADDRESS_COUNT } from '../../../bench/herd/source-addresses.js';
import type { HerdScenarioSpec } from '../../../bench/herd/herd-types.js';

const PRODUCTS = ['APM_TRACING', 'FFE_FLAGS'];
const spec = (population: HerdScenarioSpec['population'], fleet?: HerdScenarioSpec['fleet']): HerdScenarioSpec => ({
  policy: 'fastlane',
  population,
  timing: 'ready',
  ...(fleet === undefined ? {} : { fleet }),
});

t.test('an unchanged tracer holds one connection, a split one two; replicas share the herd', (t) => {
  t.equal(connectionsPerAgent(spec('unchanged'), 10_000, 1, PRODUCTS), 10_000);
  t.equal(connectionsPerAgent(spec('split'), 10_000, 1, PRODUCTS), 20_000);
  t.equal(connectionsPerAgent(spec('fastlane'), 10_000, 1, PRODUCTS), 20_000);
  t.equal(connectionsPerAgent(spec('split', 'redis'), 10_000, 3, PRODUCTS), 6_668);
  t.equal(connectionsPerAgent(spec('split'), 10_000, 3, PRODUCTS), 20_000, 'no fleet: one agent');
  t.equal(connectionsPerAgent(spec('split'), 10_000, 1, ['FFE_FLAGS']), 10_000, 'FFE alone: one lane');
  t.end();
});

t.test('a herd that cannot fit an agent here is refused, saying how many would', (t) => {
  const err = t.throws(() => checkAgentConnections([spec('unchanged'), spec('split')], 10_000, 1, PRODUCTS, 20_000));
  t.ok(err instanceof BenchError);
  t.match(String((err as Error).message), /10000 of them open 20000 connections/);
  t.match(String((err as Error).message), /at most 19744 \(open-file limit 20000/);
  t.match(String((err as Error).message), /run at most 9872 tracers/);
  t.doesNotThrow(() => checkAgentConnections([spec('unchanged')], 10_000, 1, PRODUCTS, 20_000));
  t.doesNotThrow(() => checkAgentConnections([spec('split')], 9_872, 1, PRODUCTS, 20_000));
  t.doesNotThrow(() => checkAgentConnections([spec('split', 'redis')], 10_000, 3, PRODUCTS, 20_000));
  t.end();
});

t.test('generator processes are added until each share fits its open-file limit', (t) => {
  t.equal(generatorProcsFor(1, 20_000, 20_000), 2);
  t.equal(generatorProcsFor(1, 19_000, 20_000), 1);
  t.equal(generatorProcsFor(3, 19_000, 20_000), 3, 'never fewer than asked');
  t.equal(generatorProcsFor(1, 20_000, undefined), 1, 'unknown limit: as asked');
  t.equal(generatorProcsFor(1, 20_000, Infinity), 1);
  t.end();
});

t.test('source addresses: only for an agent on 127.0.0.1', async (t) => {
  t.same(await loopbackSourceAddresses('::1'), []);
  t.same(await loopbackSourceAddresses('10.1.2.3'), []);
  t.same(await loopbackSourceAddresses('127.0.0.1', 0), []);
});

t.test(
  'on Linux, connections bound to each source address reach an agent on 127.0.0.1',
  {
    skip: process.platform !== 'linux' && 'only Linux routes all of 127.0.0.0/8 to loopback by default',
  },
  async (t) => {
    const addresses = await loopbackSourceAddresses('127.0.0.1');
    t.equal(addresses.length, SOURCE_ADDRESS_COUNT);
    t.equal(addresses[0], '127.0.0.2');
    const seen: string[] = [];
    const server = createServer((s) => {
      seen.push(s.remoteAddress ?? '');
      s.end();
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as { port: number }).port;
    for (const localAddress of addresses) {
      await new Promise<void>((resolve, reject) => {
        const socket: Socket = connect({ host: '127.0.0.1', port, localAddress });
        socket.once('error', reject);
        socket.once('close', () => resolve());
        socket.resume();
      });
    }
    t.same(seen.map((a) => a.replace(/^::ffff:/, '')).sort(), [...addresses].sort());
  },
);
