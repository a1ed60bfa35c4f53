// Container tags through /v0.7/config (PROTOCOL.md §3.2 step 2): static tags by container ID, the container ID from
// Datadog-Container-ID, Datadog-Entity-ID `ci-` or a cgroup v2 inode `in-`, tags normalised and appended.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { buildHttpApp, ContainerTagsError, createContainerTagSource } from '../../src/http/index.js';
import { FakeService } from '../helpers/fake-service.js';

const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);
const ECS_ID = `${'c'.repeat(32)}-1234567890`;

const tracerBody = JSON.stringify({
  client: {
    id: 'client-1',
    products: ['FFE_FLAGS'],
    is_tracer: true,
    client_tracer: { runtime_id: 'r1', language: 'node', service: 'Checkout Svc', env: 'Prod', tags: ['foo:bar'] },
    state: { root_version: 1 },
  },
});

function setup(t: Test, now = { ms: 0 }) {
  const dir = t.testdir({
    'tags.yaml': [
      `${ID_A}: ["image_name:nginx", "Kube Namespace:Shop", "  ", "short_image:nginx"]`,
      `${ECS_ID}: "task_family:web,ecs_cluster_name:prod"`,
    ].join('\n'),
  });
  const cgroup = join(dir, 'cgroup');
  const scope = join(cgroup, 'system.slice', `docker-${ID_A}.scope`);
  mkdirSync(scope, { recursive: true });
  const source = createContainerTagSource({ file: join(dir, 'tags.yaml'), cgroupRoot: cgroup, nowMs: () => now.ms });
  const service = new FakeService();
  const app = buildHttpApp({
    service,
    enabled: true,
    version: 'test',
    containerTags: (id) => source.tags(id),
    containerId: (headers) => source.containerIdFromHeaders(headers),
  });
  t.teardown(() => app.close());
  const inodeOf = (path: string): string => String(statSync(path, { bigint: true }).ino);
  return { app, service, cgroup, scope, inodeOf, source };
}

t.test('tags of the caller container are normalised and appended after the tracer tags', async (t) => {
  const { app, service } = setup(t);
  const res = await app.inject({
    method: 'POST',
    url: '/v0.7/config',
    headers: { 'datadog-container-id': ID_A },
    payload: tracerBody,
  });
  t.equal(res.statusCode, 200);
  const tracer = service.calls[0]?.request.client?.clientTracer;
  t.same(tracer?.tags, ['foo:bar', 'image_name:nginx', 'kube_namespace:shop', 'short_image:nginx']);
  t.equal(tracer?.service, 'checkout_svc', 'service and env are normalised as before');
  t.equal(tracer?.env, 'prod');
});

t.test('Datadog-Entity-ID: ci-<id>, a comma list, and the ECS form', async (t) => {
  const { app, service } = setup(t);
  for (const [header, expected] of [
    [`ci-${ECS_ID}`, ['foo:bar', 'task_family:web', 'ecs_cluster_name:prod']],
    [`in-1,ci-${ID_A}`, ['foo:bar', 'image_name:nginx', 'kube_namespace:shop', 'short_image:nginx']],
    [`ci-${ID_B}`, ['foo:bar']],
  ] as const) {
    await app.inject({
      method: 'POST',
      url: '/v0.7/config',
      headers: { 'datadog-entity-id': header },
      payload: tracerBody,
    });
    t.same(service.calls.at(-1)?.request.client?.clientTracer?.tags, expected, header);
  }
});

t.test('in-<inode>: the cgroup v2 directory of the tracer names its container', async (t) => {
  const now = { ms: 0 };
  const { app, service, cgroup, scope, inodeOf, source } = setup(t, now);
  const res = await app.inject({
    method: 'POST',
    url: '/v0.7/config',
    headers: { 'datadog-entity-id': `in-${inodeOf(scope)}` },
    payload: tracerBody,
  });
  t.equal(res.statusCode, 200);
  t.same(service.calls[0]?.request.client?.clientTracer?.tags, [
    'foo:bar',
    'image_name:nginx',
    'kube_namespace:shop',
    'short_image:nginx',
  ]);
  // a directory without a container ID in its name (the host, a plain slice) resolves to nothing
  t.equal(source.containerIdFromHeaders({ 'datadog-entity-id': `in-${inodeOf(join(cgroup, 'system.slice'))}` }), '');

  // a container started later is found by a rescan, at most every 2 s
  const later = join(cgroup, 'kubepods', `cri-containerd-${ID_B}.scope`);
  mkdirSync(later, { recursive: true });
  const header = { 'datadog-entity-id': `in-${inodeOf(later)}` };
  now.ms += 500;
  t.equal(source.containerIdFromHeaders(header), '', 'within 2 s of the last scan: not rescanned');
  now.ms += 2_000;
  t.equal(source.containerIdFromHeaders(header), ID_B);
});

t.test('Datadog-Container-ID wins; no container → no tags; non-tracers untouched', async (t) => {
  const { app, service } = setup(t);
  await app.inject({
    method: 'POST',
    url: '/v0.7/config',
    headers: { 'datadog-container-id': ID_B, 'datadog-entity-id': `ci-${ID_A}` },
    payload: tracerBody,
  });
  t.same(service.calls[0]?.request.client?.clientTracer?.tags, ['foo:bar'], 'ID_B has no tags');
  await app.inject({ method: 'POST', url: '/v0.7/config', payload: tracerBody });
  t.same(service.calls[1]?.request.client?.clientTracer?.tags, ['foo:bar']);
});

t.test('a bad tags file stops start-up with a clear error', (t) => {
  const dir = t.testdir({ 'list.yaml': '- a\n- b\n', 'bad.yaml': `${ID_A}: [1, 2]\n`, 'broken.json': '{"a": [' });
  t.throws(() => createContainerTagSource({ file: join(dir, 'list.yaml') }), { code: 'INVALID_FILE' });
  t.throws(() => createContainerTagSource({ file: join(dir, 'bad.yaml') }), {
    code: 'INVALID_FILE',
    message: /must be a list of strings/,
  });
  const err = t.throws(() => createContainerTagSource({ file: join(dir, 'broken.json') }));
  t.ok(err instanceof ContainerTagsError);
  t.throws(() => createContainerTagSource({ file: join(dir, 'absent.yaml') }), { code: 'UNREADABLE_FILE' });
  t.end();
});

t.test('a source without tags says so (requests then skip the container lookup)', (t) => {
  const dir = t.testdir({ 'tags.yaml': 'abc: [team:a]\n', 'none.yaml': '{}\n' });
  t.equal(createContainerTagSource({}).empty, true);
  t.equal(createContainerTagSource({ file: join(dir, 'none.yaml') }).empty, true);
  t.equal(createContainerTagSource({ file: join(dir, 'tags.yaml') }).empty, false);
  t.end();
});
