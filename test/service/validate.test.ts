import t from 'tap';
import { validateRequest } from '../../src/service/validate.js';
import type { IClientGetConfigsRequest } from '../../src/proto/index.js';

const tracer = (over: Record<string, unknown> = {}, cached: unknown[] = []): IClientGetConfigsRequest =>
  ({
    client: {
      state: { rootVersion: 1 },
      id: 'c1',
      isTracer: true,
      clientTracer: { runtimeId: 'r1', language: 'node' },
      ...over,
    },
    cachedTargetFiles: cached,
  }) as IClientGetConfigsRequest;

const cases: Array<[string, IClientGetConfigsRequest, string]> = [
  ['no client', {}, 'client is a required field for client config update requests'],
  ['no state', tracer({ state: undefined }), 'client.state is a required field for client config update requests'],
  [
    'root 0',
    tracer({ state: { rootVersion: 0 } }),
    'client.state.root_version must be >= 1 (clients must start with the base TUF director root)',
  ],
  [
    'agent no client_agent',
    tracer({ isTracer: false, clientTracer: undefined, isAgent: true }),
    'client.client_agent is a required field for agent client config update requests',
  ],
  [
    'tracer no client_tracer',
    tracer({ clientTracer: undefined }),
    'client.client_tracer is a required field for tracer client config update requests',
  ],
  [
    'updater no client_updater',
    tracer({ isTracer: false, isUpdater: true }),
    'client.client_updater is a required field for updater client config update requests',
  ],
  [
    'two flags',
    tracer({ isAgent: true, clientAgent: { name: 'x' } }),
    'client.is_tracer, client.is_agent, and client.is_updater are mutually exclusive',
  ],
  [
    'no flag',
    tracer({ isTracer: false }),
    'agents only support remote config updates from tracer or agent or updater at this time',
  ],
  ['no id', tracer({ id: '' }), 'client.id is a required field for client config update requests'],
  [
    'tracer with agent',
    tracer({ clientAgent: { name: 'x' } }),
    'client.client_agent must not be set if client.is_tracer is true',
  ],
  ['id == runtime id', tracer({ id: 'r1' }), 'client.id must be different from client.client_tracer.runtime_id'],
  [
    'no language',
    tracer({ clientTracer: { runtimeId: 'r1' } }),
    'client.client_tracer.language is a required field for tracer client config update requests',
  ],
  [
    'agent with tracer',
    tracer({ isTracer: false, isAgent: true, clientAgent: { name: 'a' } }),
    'client.client_tracer must not be set if client.is_agent is true',
  ],
  [
    'cached no path',
    tracer({}, [{ length: 1 }]),
    'cached_target_files[0].path is a required field for client config update requests',
  ],
  [
    'cached bad source',
    tracer({}, [{ path: 'foo/2/X/y/z', length: 1 }]),
    "cached_target_files[0].path is not a valid path: config path 'foo/2/X/y/z' has unknown source",
  ],
  [
    'cached bad format',
    tracer({}, [{ path: 'datadog/2/X/y', length: 1 }]),
    "cached_target_files[0].path is not a valid path: config file path 'datadog/2/X/y' has wrong format",
  ],
  [
    'cached length 0',
    tracer({}, [{ path: 'datadog/2/X/y/z', length: 0 }]),
    'cached_target_files[0].length must be >= 1 (no empty file allowed)',
  ],
  [
    'cached no hashes',
    tracer({}, [{ path: 'datadog/2/X/y/z', length: 1 }]),
    'cached_target_files[%d].hashes is a required field for client config update requests',
  ],
  [
    'cached no algorithm',
    tracer({}, [{ path: 'datadog/2/X/y/z', length: 1, hashes: [{ algorithm: 'sha256', hash: 'aa' }, { hash: 'bb' }] }]),
    'cached_target_files[0].hashes[1].algorithm is a required field for client config update requests',
  ],
  [
    'cached no hash',
    tracer({}, [{ path: 'employee/X/y/z', length: 1, hashes: [{ algorithm: 'sha256' }] }]),
    'cached_target_files[0].hashes[0].hash is a required field for client config update requests',
  ],
];

for (const [name, request, message] of cases) {
  t.test(name, (t) => {
    t.throws(() => validateRequest(request), { code: 'INVALID_ARGUMENT', message });
    t.end();
  });
}

t.test('a valid tracer request passes', (t) => {
  t.equal(
    validateRequest(tracer({}, [{ path: 'datadog/2/X/y/z', length: 1, hashes: [{ algorithm: 'sha256', hash: 'aa' }] }]))
      .id,
    'c1',
  );
  t.end();
});
