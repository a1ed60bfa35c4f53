import t from 'tap';
import { cachedFileIsCurrent } from '../../src/service/selection.js';
import { compilePredicates, matchesPredicates } from '../../src/service/predicates.js';
import type { SnapshotTarget } from '../../src/service/snapshot.js';
import type { IClient } from '../../src/proto/index.js';

const tracer = (over: Record<string, unknown> = {}): IClient => ({
  id: 'client-1',
  isTracer: true,
  clientTracer: {
    runtimeId: 'rt-1',
    language: 'node',
    tracerVersion: '5.132.0',
    service: 'checkout',
    env: 'prod',
    appVersion: '1.2.3',
    ...over,
  },
});
const agent: IClient = { id: 'agent-1', isAgent: true, clientAgent: { name: 'system-probe' } };
const preds = (...list: unknown[]) => compilePredicates({ 'tracer-predicates': { tracer_predicates_v1: list } });

t.test('null, [] and [{}] match everyone', (t) => {
  t.equal(compilePredicates(undefined), undefined);
  t.equal(compilePredicates({ 'tracer-predicates': { tracer_predicates_v1: null } }), undefined);
  t.equal(preds(), undefined);
  t.equal(preds({}), undefined);
  t.end();
});

t.test('AND within a predicate, OR across predicates', (t) => {
  t.ok(matchesPredicates(preds({ service: 'checkout', environment: 'prod' }), tracer()));
  t.notOk(matchesPredicates(preds({ service: 'checkout', environment: 'dev' }), tracer()));
  t.ok(matchesPredicates(preds({ service: 'cart' }, { language: 'node' }), tracer()));
  t.ok(matchesPredicates(preds({ runtimeID: 'rt-1' }), tracer()));
  t.notOk(matchesPredicates(preds({ appVersion: '1.2.4' }), tracer()));
  t.ok(matchesPredicates(preds({ clientID: 'client-1' }), tracer()));
  t.notOk(matchesPredicates(preds({ clientID: 'client-2' }), tracer()));
  t.end();
});

t.test('tracerVersion is a Masterminds constraint', (t) => {
  t.ok(matchesPredicates(preds({ tracerVersion: '>=1.0' }), tracer()), '>=1.0 matches 5.132.0');
  t.ok(matchesPredicates(preds({ tracerVersion: '>=5.0, <6' }), tracer()), 'comma is AND');
  t.notOk(matchesPredicates(preds({ tracerVersion: '>=6.0' }), tracer()));
  t.ok(matchesPredicates(preds({ tracerVersion: '<5 || >=5.100' }), tracer()), '|| is OR');
  t.ok(matchesPredicates(preds({ tracerVersion: '>=5.1' }), tracer({ tracerVersion: 'v5.2' })), 'lenient version');
  t.throws(() => matchesPredicates(preds({ tracerVersion: '>=5' }), tracer({ tracerVersion: 'banana' })), {
    code: 'UNKNOWN',
    message: 'Invalid Semantic Version',
  });
  t.throws(() => matchesPredicates(preds({ tracerVersion: '>>>5' }), tracer()), {
    code: 'UNKNOWN',
    message: /improper constraint/,
  });
  t.end();
});

t.test('non-tracers match predicates whose clientID is empty or equal', (t) => {
  t.ok(matchesPredicates(preds({ service: 'checkout' }), agent));
  t.ok(matchesPredicates(preds({ clientID: 'agent-1', service: 'x' }), agent));
  t.notOk(matchesPredicates(preds({ clientID: 'other' }), agent));
  t.end();
});

const target: SnapshotTarget = {
  path: 'datadog/2/APM_TRACING/a/config',
  product: 'APM_TRACING',
  configId: 'a',
  length: 10,
  hashes: { sha256: 'ab'.repeat(32) },
  version: 1,
  expiresMs: 0,
};

t.test('cached-file diff: go-tuf FileMetaEqual', (t) => {
  const h = (algorithm: string, hash: string) => ({ algorithm, hash });
  t.notOk(cachedFileIsCurrent(undefined, target), 'no cached entry');
  t.ok(
    cachedFileIsCurrent({ length: 10, hashes: [h('sha256', 'AB'.repeat(32))] }, target),
    'same (hex case-insensitive)',
  );
  t.notOk(cachedFileIsCurrent({ length: 11, hashes: [h('sha256', 'ab'.repeat(32))] }, target), 'length differs');
  t.notOk(cachedFileIsCurrent({ length: 10, hashes: [h('sha256', 'cd'.repeat(32))] }, target), 'hash differs');
  t.notOk(cachedFileIsCurrent({ length: 10, hashes: [h('sha512', 'ab'.repeat(64))] }, target), 'no shared algorithm');
  t.throws(() => cachedFileIsCurrent({ length: 10, hashes: [h('sha256', 'xyz')] }, target), {
    message: 'failed to decode hash',
  });
  t.end();
});
