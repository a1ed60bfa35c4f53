// The seed's client surface: DD_RC_FAST_LANE_* read once from the env the caller passes, explicit options win,
// bad values fail with INVALID_OPTION naming the variable or option.
import t, { type Test } from 'tap';
import { RcClient } from '../../src/client/index.js';
import { clientOptionsFromEnv, resolveClientOptions } from '../../src/client/options.js';
import { createFetchPools, ConcurrencyLimit } from '../../src/client/fetch-pools.js';
import { RcClientError, RC_CLIENT_ERROR_CODES } from '../../src/client/error.js';

const AGENT_URL = 'http://127.0.0.1:9';

function invalidOption(t: Test, fn: () => unknown, name: string, got: string): void {
  t.throws(fn, { name: 'RcClientError', code: 'INVALID_OPTION' });
  try {
    fn();
  } catch (err) {
    t.ok(err instanceof RcClientError);
    const message = (err as Error).message;
    t.ok(message.startsWith(`${name} must be `), `names ${name}: ${message}`);
    t.ok(message.includes(`got ${JSON.stringify(got)}`), `says what it got: ${message}`);
  }
}

void t.test('unset or empty variables set nothing', (t) => {
  t.same(clientOptionsFromEnv({}), {});
  t.same(
    clientOptionsFromEnv({
      DD_RC_FAST_LANE_ENABLED: '',
      DD_RC_FAST_LANE_INTERVAL_MS: ' ',
      DD_RC_FAST_LANE_INITIAL_INTERVAL_MS: undefined,
      UNRELATED: 'x',
    }),
    {},
  );
  t.end();
});

void t.test('DD_RC_FAST_LANE_ENABLED picks the policy', (t) => {
  for (const value of ['true', 'TRUE', ' 1 ']) {
    t.same(clientOptionsFromEnv({ DD_RC_FAST_LANE_ENABLED: value }), { policy: 'fastlane' }, value);
  }
  for (const value of ['false', 'False', '0']) {
    t.same(clientOptionsFromEnv({ DD_RC_FAST_LANE_ENABLED: value }), { policy: 'legacy' }, value);
  }
  invalidOption(t, () => clientOptionsFromEnv({ DD_RC_FAST_LANE_ENABLED: 'yes' }), 'DD_RC_FAST_LANE_ENABLED', 'yes');
  t.end();
});

void t.test('the two intervals: integers of milliseconds, the fast-lane one at least 1', (t) => {
  t.same(clientOptionsFromEnv({ DD_RC_FAST_LANE_INTERVAL_MS: '250', DD_RC_FAST_LANE_INITIAL_INTERVAL_MS: '0' }), {
    fastLaneIntervalMs: 250,
    fastLaneInitialIntervalMs: 0,
  });
  t.same(clientOptionsFromEnv({ DD_RC_FAST_LANE_INITIAL_INTERVAL_MS: '3000' }), { fastLaneInitialIntervalMs: 3000 });
  for (const bad of ['0', '-5', '1.5', '1e3', '0x10', 'fast', '2147483648']) {
    invalidOption(
      t,
      () => clientOptionsFromEnv({ DD_RC_FAST_LANE_INTERVAL_MS: bad }),
      'DD_RC_FAST_LANE_INTERVAL_MS',
      bad,
    );
  }
  for (const bad of ['-1', 'soon', '2147483648']) {
    invalidOption(
      t,
      () => clientOptionsFromEnv({ DD_RC_FAST_LANE_INITIAL_INTERVAL_MS: bad }),
      'DD_RC_FAST_LANE_INITIAL_INTERVAL_MS',
      bad,
    );
  }
  t.end();
});

void t.test('explicit options override the env; undefined ones do not', (t) => {
  const env = {
    DD_RC_FAST_LANE_ENABLED: 'true',
    DD_RC_FAST_LANE_INTERVAL_MS: '250',
    DD_RC_FAST_LANE_INITIAL_INTERVAL_MS: '400',
  };
  const fromEnv = resolveClientOptions({ agentUrl: AGENT_URL, products: ['FFE_FLAGS'], policy: undefined }, env);
  t.match(fromEnv, { policy: 'fastlane', fastLaneIntervalMs: 250, fastLaneInitialIntervalMs: 400 });

  const explicit = resolveClientOptions(
    { agentUrl: AGENT_URL, products: ['FFE_FLAGS'], policy: 'legacy', fastLaneInitialIntervalMs: 0 },
    env,
  );
  t.match(explicit, { policy: 'legacy', fastLaneIntervalMs: 250, fastLaneInitialIntervalMs: 0 });

  const older = resolveClientOptions({ agentUrl: AGENT_URL, products: ['FFE_FLAGS'], fastPollIntervalMs: 700 }, env);
  const client = new RcClient(older);
  t.equal(client.fastLaneIntervalMs, 700, 'the older option name counts as explicit too');
  t.equal(client.policy, 'fastlane');
  t.equal(client.fastLaneInitialIntervalMs, 400);
  t.end();
});

void t.test('constructor options and setters are checked the same way', (t) => {
  const base = { agentUrl: AGENT_URL, products: ['FFE_FLAGS'], policy: 'fastlane' as const };
  invalidOption(t, () => new RcClient({ ...base, fastLaneIntervalMs: 0 }), 'fastLaneIntervalMs', '0');
  invalidOption(t, () => new RcClient({ ...base, fastPollIntervalMs: 2.5 }), 'fastLaneIntervalMs', '2.5');
  invalidOption(t, () => new RcClient({ ...base, fastLaneInitialIntervalMs: -1 }), 'fastLaneInitialIntervalMs', '-1');
  invalidOption(t, () => new RcClient({ ...base, fastLaneMaxConcurrent: 0 }), 'fastLaneMaxConcurrent', '0');
  invalidOption(t, () => new RcClient({ ...base, standardMaxConcurrent: 1.5 }), 'standardMaxConcurrent', '1.5');
  invalidOption(t, () => new ConcurrencyLimit(Number.NaN), 'maxConcurrent', 'NaN');
  t.throws(() => new RcClient({ ...base, fastLaneIntervalMs: 500, fastPollIntervalMs: 600 }), {
    code: 'INVALID_OPTION',
    message: /fastLaneIntervalMs \(500\) and fastPollIntervalMs \(600\) disagree/,
  });
  t.throws(() => new RcClient({ ...base, fetchPools: createFetchPools(), fastLaneMaxConcurrent: 5 }), {
    code: 'INVALID_OPTION',
    message: /fetchPools already has its limits/,
  });

  const client = new RcClient({ ...base, fastLaneIntervalMs: 500, fastPollIntervalMs: 500 });
  t.equal(client.fastLaneIntervalMs, 500, 'both names, same value: fine');
  invalidOption(t, () => client.setFastLaneIntervalMs(0), 'fastLaneIntervalMs', '0');
  invalidOption(t, () => client.setFastLaneInitialIntervalMs(2 ** 31), 'fastLaneInitialIntervalMs', String(2 ** 31));
  t.equal(client.fastLaneIntervalMs, 500, 'a rejected value changes nothing');
  t.equal(client.setFastLaneIntervalMs(200).setFastLaneInitialIntervalMs(50).fastLaneIntervalMs, 200);
  t.equal(client.fastLaneInitialIntervalMs, 50);
  t.ok(RC_CLIENT_ERROR_CODES.includes('INVALID_OPTION'), 'the code is listed');
  t.end();
});

void t.test('defaults: 1000 ms fast-lane interval, first fast-lane request at once, pools of 20 and 100', (t) => {
  const client = new RcClient({ agentUrl: AGENT_URL, products: ['FFE_FLAGS'] });
  t.equal(client.policy, 'legacy', 'without DD_RC_FAST_LANE_ENABLED the client behaves like dd-trace-js');
  t.equal(client.fastLaneIntervalMs, 1000);
  t.equal(client.fastLaneInitialIntervalMs, 0);
  t.equal(client.fetchPools.fast.maxConcurrent, 20);
  t.equal(client.fetchPools.standard.maxConcurrent, 100);
  t.end();
});
