import t from 'tap';
import { normalizeService, normalizeTag } from '../../src/http/normalize.js';

t.test('normalizeTag: the examples of PROTOCOL §3.2', (t) => {
  t.equal(normalizeTag('test ww w@'), 'test_ww_w');
  t.equal(normalizeTag('test@ww'), 'test_ww');
  t.end();
});

t.test('normalizeTag: each rule', (t) => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['dev', 'dev'],
    ['Prod', 'prod'], // lower-cases
    ['ÖDE', 'öde'], // non-ASCII upper case too
    ['123abc', 'abc'], // leading characters before the first letter dropped
    ['__x', 'x'],
    [':x', ':x'], // ':' may start a tag
    ['1:x', ':x'],
    ['a.b/c-d:e', 'a.b/c-d:e'], // `:./-` kept
    ['a1', 'a1'],
    ['a_b', 'a_b'],
    ['a__b', 'a_b'], // a run (underscores included) becomes one '_'
    ['a _-b', 'a_-b'],
    ['a!@#b', 'a_b'],
    ['a!', 'a'], // a trailing run is dropped
    ['a__', 'a'],
    ['!!!', ''],
    ['123', ''],
    ['env:prod ', 'env:prod'],
    ['日本', '日本'], // letters of any script
    ['a🍣b', 'a_b'], // emoji are not letters
    ['a٣', 'a٣'], // any decimal digit
    ['\ud800a', 'a'], // a lone surrogate is a replacement character (not a letter)
  ];
  for (const [input, want] of cases) t.equal(normalizeTag(input), want, JSON.stringify(input));
  t.end();
});

t.test('normalizeTag: capped at 200 characters', (t) => {
  t.equal(normalizeTag('a'.repeat(250)), 'a'.repeat(200));
  // characters are counted, not bytes
  t.equal(normalizeTag('é'.repeat(250)), 'é'.repeat(200));
  // a cut counts each character it removes
  t.equal(normalizeTag('a' + '!'.repeat(198) + 'bcd'), 'a_b');
  t.equal(normalizeTag('a'.repeat(199) + '!b'), 'a'.repeat(199));
  // long runs of non-letters stop the scan at 400 bytes
  t.equal(normalizeTag('a' + '🍣'.repeat(150) + 'b'), 'a');
  t.end();
});

t.test('normalizeService', (t) => {
  t.equal(normalizeService('checkout', 'node'), 'checkout');
  t.equal(normalizeService('Check Out!', 'node'), 'check_out');
  t.equal(normalizeService('', 'node'), 'unnamed-node-service');
  t.equal(normalizeService('', ''), 'unnamed-service');
  t.equal(normalizeService('!!!', 'go'), 'unnamed-go-service');
  // truncated to 100 bytes before normalisation, at a UTF-8 boundary
  t.equal(normalizeService('a'.repeat(150), 'go'), 'a'.repeat(100));
  t.equal(normalizeService('a'.repeat(99) + 'é', 'go'), 'a'.repeat(99));
  t.equal(normalizeService('é'.repeat(60), 'go'), 'é'.repeat(50));
  t.end();
});
