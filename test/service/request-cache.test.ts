// The decoded-request cache: keyed by the body's SHA-256, bounded in entries (oldest out first), entries deep-frozen.
import { createHash } from 'node:crypto';
import t from 'tap';
import { DecodedRequestCache, MAX_CACHED_BODY_BYTES } from '../../src/service/request-cache.js';

t.test('keeps up to maxEntries bodies, evicting the oldest', (t) => {
  const cache = new DecodedRequestCache(2);
  const key = (s: string): string => cache.keyOf(Buffer.from(s))!;
  const steady = (id: string) => ({ client: { id, state: { targetsVersion: 3 } } });
  cache.set(key('aaaa'), steady('a'));
  cache.set(key('bbbb'), steady('b'));
  t.equal(cache.size, 2);
  cache.set(key('cccc'), steady('c'));
  t.equal(cache.size, 2);
  t.equal(cache.get(key('aaaa')), undefined, 'oldest evicted');
  t.equal(cache.get(key('bbbb'))!.client!.id, 'b');
  t.equal(cache.get(key('cccc'))!.client!.id, 'c');
  t.end();
});

t.test('the key is the SHA-256 of the bytes; large bodies have none', (t) => {
  const cache = new DecodedRequestCache();
  const body = Buffer.from('{"client":{"id":"x"}}');
  t.equal(cache.keyOf(body), createHash('sha256').update(body).digest('base64'));
  t.not(cache.keyOf(Buffer.from('{"client":{"id":"y"}}')), cache.keyOf(body));
  t.equal(cache.keyOf(Buffer.alloc(MAX_CACHED_BODY_BYTES + 1)), undefined);
  t.end();
});

t.test('entries are deep-frozen, byte arrays left alone', (t) => {
  const cache = new DecodedRequestCache();
  const request = {
    client: { products: ['A'], capabilities: Buffer.from([1]), state: { rootVersion: 1, targetsVersion: 2 } },
  };
  cache.set('k', request);
  t.ok(Object.isFrozen(request.client.products));
  t.ok(Object.isFrozen(request.client.state));
  t.throws(() => {
    request.client.products.push('B');
  });
  t.equal(request.client.capabilities[0], 1);
  t.end();
});

t.test('a first poll is kept only when its body comes a second time', (t) => {
  const cache = new DecodedRequestCache();
  const first = { client: { id: 'a', products: ['A'], state: { targetsVersion: 0 } } };
  t.equal(cache.set('a0', first), first);
  t.equal(cache.get('a0'), undefined, 'seen once: not kept');
  t.notOk(Object.isFrozen(first), 'nor frozen');
  t.equal(cache.size, 0);
  const again = { client: { id: 'a', products: ['A'], state: { targetsVersion: 0 } } };
  t.equal(cache.set('a0', again), again);
  t.equal(cache.get('a0'), again, 'seen twice: kept');
  t.ok(Object.isFrozen(again.client.state), 'and frozen');
  // a body that is not a first poll is kept the first time
  cache.set('b3', { client: { id: 'b', state: { targetsVersion: 3 } } });
  t.ok(cache.get('b3'));
  t.end();
});

t.test('first polls seen once are remembered up to maxEntries, oldest forgotten first', (t) => {
  const cache = new DecodedRequestCache(2);
  const poll = (id: string) => ({ client: { id, state: { targetsVersion: 0 } } });
  cache.set('a0', poll('a'));
  cache.set('b0', poll('b'));
  cache.set('c0', poll('c'));
  t.equal(cache.size, 0);
  cache.set('a0', poll('a'));
  t.equal(cache.get('a0'), undefined, "a's sighting was forgotten: this is its first again");
  cache.set('c0', poll('c'));
  t.ok(cache.get('c0'), 'c was remembered');
  t.end();
});

t.test("a first poll seen once is forgotten with its client's next body", (t) => {
  const cache = new DecodedRequestCache();
  const poll = (id: string, targetsVersion: number, service = 'svc') => ({
    client: { id, clientTracer: { service }, state: { targetsVersion } },
  });
  cache.set('a0', poll('a', 0));
  cache.set('b0', poll('b', 0));
  t.equal(cache.sightings, 2);
  cache.set('a5', poll('a', 5));
  t.equal(cache.sightings, 1, "a's sighting went with a's next body");
  cache.set('b0-other', poll('b', 0, 'renamed'));
  t.equal(cache.sightings, 1, "b's other first poll replaced its sighting");
  cache.set('b0', poll('b', 0));
  t.equal(cache.get('b0'), undefined, "b's old first poll counts as new again");
  // a sighting from a client without an id leaves with age only
  cache.set('n0', { client: { state: { targetsVersion: 0 } } });
  t.equal(cache.sightings, 2, "b0 (b's latest) and n0");
  t.end();
});

t.test("a client's cached first poll is dropped once a later body of the same client is cached", (t) => {
  const cache = new DecodedRequestCache();
  const poll = (id: string, targetsVersion?: number) => ({
    client: { id, products: ['A'], state: targetsVersion === undefined ? { rootVersion: 1 } : { targetsVersion } },
  });
  for (let i = 0; i < 2; i++) {
    cache.set('a0', poll('a', 0));
    cache.set('b0', poll('b'));
  }
  t.ok(cache.get('a0'), 'a first poll is kept while its client sends nothing else');
  t.ok(cache.get('b0'), 'absent targets_version: a first poll too');
  cache.set('a3', poll('a', 3));
  t.equal(cache.get('a0'), undefined, "a's first poll dropped by a's next body");
  t.ok(cache.get('a3'));
  t.ok(cache.get('b0'), "b's first poll stays");
  cache.set('a4', poll('a', 4));
  t.equal(cache.size, 3, 'a later body drops nothing else');
  t.end();
});

t.test('a first poll evicted as the oldest leaves no trace that could drop another entry', (t) => {
  const cache = new DecodedRequestCache(2);
  const poll = (id: string, targetsVersion: number) => ({ client: { id, state: { targetsVersion } } });
  cache.set('a0', poll('a', 0));
  cache.set('a0', poll('a', 0));
  cache.set('b1', poll('b', 1));
  cache.set('c1', poll('c', 1));
  t.equal(cache.get('a0'), undefined, 'evicted');
  cache.set('a2', poll('a', 2));
  t.ok(cache.get('c1'), 'c stays: only the oldest (b1) went to make room');
  t.equal(cache.get('b1'), undefined);
  t.ok(cache.get('a2'));
  t.end();
});
