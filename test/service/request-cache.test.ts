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

t.test('a first poll (targets_version 0 or absent) is decoded every time, never kept', (t) => {
  const cache = new DecodedRequestCache();
  for (const state of [{ rootVersion: 1, targetsVersion: 0 }, { rootVersion: 1 }, undefined]) {
    const request = { client: { id: 'new', products: ['A'], ...(state === undefined ? {} : { state }) } };
    t.equal(cache.set('first', request), request, 'handed back as is');
    t.equal(cache.get('first'), undefined, JSON.stringify(state));
    t.notOk(Object.isFrozen(request.client), 'not frozen: it is not shared');
  }
  t.equal(cache.size, 0);
  const next = { client: { id: 'new', products: ['A'], state: { rootVersion: 1, targetsVersion: 1 } } };
  cache.set('next', next);
  t.equal(cache.get('next'), next, 'the body after the first answer is kept');
  t.end();
});
