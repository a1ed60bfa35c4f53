// The decoded-request cache: bounded by body bytes, oldest out first, entries deep-frozen.
import t from 'tap';
import { DecodedRequestCache, MAX_CACHED_BODY_BYTES } from '../../src/http/request-cache.js';

t.test('keeps bodies up to its byte budget, evicting the oldest', (t) => {
  const cache = new DecodedRequestCache(10);
  const key = (s: string): string => cache.keyOf(Buffer.from(s))!;
  cache.set(key('aaaa'), { client: { id: 'a' } });
  cache.set(key('bbbb'), { client: { id: 'b' } });
  t.equal(cache.size, 2);
  t.equal(cache.bytes, 8);
  cache.set(key('cccc'), { client: { id: 'c' } });
  t.equal(cache.get(key('aaaa')), undefined, 'oldest evicted');
  t.equal(cache.get(key('cccc'))!.client!.id, 'c');
  t.equal(cache.bytes, 8);
  // a body larger than the whole budget is not kept
  cache.set(key('x'.repeat(11)), {});
  t.equal(cache.size, 2);
  t.end();
});

t.test('keys are the bytes (latin1), large bodies have none', (t) => {
  const cache = new DecodedRequestCache();
  t.equal(cache.keyOf(Buffer.from([0xc3, 0xa9])), '\u00c3\u00a9');
  t.equal(cache.keyOf(Buffer.alloc(MAX_CACHED_BODY_BYTES + 1)), undefined);
  t.end();
});

t.test('entries are deep-frozen, byte arrays left alone', (t) => {
  const cache = new DecodedRequestCache();
  const request = { client: { products: ['A'], capabilities: Buffer.from([1]), state: { rootVersion: 1 } } };
  cache.set('k', request);
  t.ok(Object.isFrozen(request.client.products));
  t.ok(Object.isFrozen(request.client.state));
  t.throws(() => {
    (request.client.products).push('B');
  });
  t.equal(request.client.capabilities[0], 1);
  t.end();
});
