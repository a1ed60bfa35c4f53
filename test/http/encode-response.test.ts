import t from 'tap';
import { encodeClientGetConfigsResponse, encodeClientGetConfigsResponseBytes } from '../../src/http/encode-response.js';
import { goJsonString } from '../../src/http/go-json-string.js';
import { LITERAL_FILE, LITERAL_FILE_PATH, LITERAL_REPLY, LITERAL_TARGETS_JSON } from '../helpers/rc-literal.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

t.test('an empty response is exactly the two bytes {}', (t) => {
  t.equal(encodeClientGetConfigsResponse({}), '{}');
  t.equal(Buffer.byteLength(encodeClientGetConfigsResponse({})), 2);
  // empty lists, empty bytes and the zero enum are all omitted
  t.equal(
    encodeClientGetConfigsResponse({
      roots: [],
      targets: new Uint8Array(0),
      targetFiles: [],
      clientConfigs: [],
      configStatus: 0,
    }),
    '{}',
  );
  t.equal(
    encodeClientGetConfigsResponse({
      roots: null,
      targets: null,
      targetFiles: null,
      clientConfigs: null,
      configStatus: null,
    }),
    '{}',
  );
  t.end();
});

t.test('the literal reply of PROTOCOL §3.3, byte for byte', (t) => {
  const encoded = encodeClientGetConfigsResponse({
    targets: bytes(LITERAL_TARGETS_JSON),
    targetFiles: [{ path: LITERAL_FILE_PATH, raw: bytes(LITERAL_FILE) }],
    clientConfigs: [LITERAL_FILE_PATH],
  });
  t.equal(encoded, LITERAL_REPLY);
  t.end();
});

t.test('proto field order, roots first, config_status numeric', (t) => {
  const encoded = encodeClientGetConfigsResponse({
    configStatus: 1,
    clientConfigs: ['b'],
    targetFiles: [{ path: 'a', raw: bytes('x') }],
    targets: bytes('t'),
    roots: [bytes('r2'), bytes('r3')],
  });
  t.equal(
    encoded,
    '{"roots":["cjI=","cjM="],"targets":"dA==","target_files":[{"path":"a","raw":"eA=="}],"client_configs":["b"],"config_status":1}',
  );
  // the EXPIRED flush (§3.3)
  t.equal(
    encodeClientGetConfigsResponse({ targets: bytes('t'), configStatus: 1 }),
    '{"targets":"dA==","config_status":1}',
  );
  t.end();
});

t.test('bytes are padded standard base64', (t) => {
  t.equal(encodeClientGetConfigsResponse({ targets: bytes('a') }), '{"targets":"YQ=="}');
  t.equal(encodeClientGetConfigsResponse({ targets: bytes('ab') }), '{"targets":"YWI="}');
  t.equal(encodeClientGetConfigsResponse({ targets: bytes('abc') }), '{"targets":"YWJj"}');
  // '+' and '/' of the standard alphabet
  t.equal(encodeClientGetConfigsResponse({ targets: new Uint8Array([0xfb, 0xff]) }), '{"targets":"+/8="}');
  // a view into a larger buffer encodes only its own bytes
  const big = Buffer.from('xxabcxx');
  t.equal(encodeClientGetConfigsResponse({ targets: big.subarray(2, 5) }), '{"targets":"YWJj"}');
  t.end();
});

t.test('the base64 cache is keyed by array identity', (t) => {
  const shared = bytes('same snapshot bytes');
  const a = encodeClientGetConfigsResponse({ targets: shared });
  const b = encodeClientGetConfigsResponse({ targets: shared });
  t.equal(a, b);
  // a different array with other content is not confused with it
  t.equal(encodeClientGetConfigsResponse({ targets: bytes('other') }), '{"targets":"b3RoZXI="}');
  t.end();
});

t.test('omitempty inside File; list elements are never omitted', (t) => {
  t.equal(
    encodeClientGetConfigsResponse({ targetFiles: [{ path: 'p' }, { raw: bytes('x') }, {}, null as never] }),
    '{"target_files":[{"path":"p"},{"raw":"eA=="},{},null]}',
  );
  t.equal(encodeClientGetConfigsResponse({ roots: [new Uint8Array(0), null as never] }), '{"roots":["",null]}');
  t.equal(encodeClientGetConfigsResponse({ clientConfigs: [''] }), '{"client_configs":[""]}');
  t.end();
});

t.test('strings are escaped like Go (HTML-safe)', (t) => {
  t.equal(goJsonString('a<b>&c'), '"a\\u003cb\\u003e\\u0026c"');
  t.equal(goJsonString('\u2028\u2029'), '"\\u2028\\u2029"');
  t.equal(goJsonString('"\\'), '"\\"\\\\"');
  t.equal(goJsonString('\b\f\n\r\t\u0000\u001f'), '"\\b\\f\\n\\r\\t\\u0000\\u001f"');
  t.equal(goJsonString('\u007f/é😀'), '"\u007f/é😀"');
  // a lone surrogate is invalid UTF-8 to Go
  t.equal(goJsonString('a\ud800b'), '"a\\ufffdb"');
  t.equal(goJsonString('\udc00'), '"\\ufffd"');
  t.equal(
    encodeClientGetConfigsResponse({ clientConfigs: ['datadog/2/X/<id>&/config'] }),
    '{"client_configs":["datadog/2/X/\\u003cid\\u003e\\u0026/config"]}',
  );
  t.end();
});

t.test('the bytes of a reply are its UTF-8 encoding, encoded once per frozen (shared) reply', (t) => {
  const shared = Object.freeze({ clientConfigs: ['datadog/2/FFE_FLAGS/é/config'], targets: new Uint8Array([1, 2]) });
  const bytes = encodeClientGetConfigsResponseBytes(shared);
  t.same(bytes, Buffer.from(encodeClientGetConfigsResponse(shared), 'utf8'));
  t.equal(encodeClientGetConfigsResponseBytes(shared), bytes, 'the same Buffer for the same frozen reply');
  const own = { clientConfigs: ['a'] };
  t.equal(encodeClientGetConfigsResponseBytes(own).toString(), '{"client_configs":["a"]}');
  t.not(
    encodeClientGetConfigsResponseBytes(own),
    encodeClientGetConfigsResponseBytes(own),
    'a per-client reply is not kept',
  );
  t.end();
});
