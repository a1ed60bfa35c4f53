// Per-lane capabilities (seed open question 4): the fast-lane request advertises only its products' bits, the
// standard request no longer does, and together they advertise what one legacy request would.
import t from 'tap';
import {
  DD_TRACE_JS_CAPABILITIES,
  encodeCapabilities,
  FFE_FLAG_CONFIGURATION_RULES,
  RcClient,
  splitCapabilities,
} from '../../src/client/index.js';
import { DD_TRACE_JS_PRODUCT_CAPABILITIES, decodeCapabilities, RC_CAPABILITY } from '../../src/client/capabilities.js';
import { type RcClientOptions, type RcLaneName } from '../../src/client/types.js';

const DD_TRACE_JS_PRODUCTS = ['APM_TRACING', 'AGENT_CONFIG', 'AGENT_TASK', 'ASM_FEATURES', 'FFE_FLAGS'];
const base: RcClientOptions = { agentUrl: 'http://127.0.0.1:9', products: DD_TRACE_JS_PRODUCTS };

/** The capabilities a lane's next request advertises, as a number. */
function advertised(client: RcClient, lane: RcLaneName): bigint {
  const body = JSON.parse(client.requestBody(lane)) as { client: { capabilities: string } };
  return decodeCapabilities(Buffer.from(body.client.capabilities, 'base64'));
}

void t.test('the dd-trace-js mapping covers every bit dd-trace-js 5.132 advertises by default', (t) => {
  const owned = Object.values(DD_TRACE_JS_PRODUCT_CAPABILITIES).reduce((a, b) => a | b, 0n);
  t.equal(DD_TRACE_JS_CAPABILITIES & ~owned, 0n, 'no default bit without an owner');
  t.equal(DD_TRACE_JS_PRODUCT_CAPABILITIES.FFE_FLAGS, FFE_FLAG_CONFIGURATION_RULES);
  t.equal(FFE_FLAG_CONFIGURATION_RULES, 1n << 46n);
  t.equal(
    DD_TRACE_JS_PRODUCT_CAPABILITIES.ASM_FEATURES,
    RC_CAPABILITY.ASM_ACTIVATION | RC_CAPABILITY.ASM_AUTO_USER_INSTRUM_MODE,
  );
  t.equal(DD_TRACE_JS_PRODUCT_CAPABILITIES.ASM, DD_TRACE_JS_PRODUCT_CAPABILITIES.ASM_DD, 'WAF products share a set');
  for (const [a, b] of [
    ['APM_TRACING', 'ASM_FEATURES'],
    ['APM_TRACING', 'FFE_FLAGS'],
    ['ASM_FEATURES', 'ASM'],
    ['FFE_FLAGS', 'ASM'],
  ] as const) {
    t.equal(DD_TRACE_JS_PRODUCT_CAPABILITIES[a]! & DD_TRACE_JS_PRODUCT_CAPABILITIES[b]!, 0n, `${a} and ${b} disjoint`);
  }
  t.equal(decodeCapabilities(Buffer.from('AmNAoAjwAg==', 'base64')), DD_TRACE_JS_CAPABILITIES | (1n << 46n));
  t.equal(decodeCapabilities(new Uint8Array()), 0n);
  t.end();
});

void t.test('fastlane: FFE_FLAGS request carries bit 46 only; the standard request is dd-trace-js without FFE', (t) => {
  const legacy = new RcClient(base);
  const fast = new RcClient({ ...base, policy: 'fastlane' });
  t.equal(JSON.parse(legacy.requestBody()).client.capabilities, 'AmNAoAjwAg==', 'legacy: unchanged');
  t.equal(JSON.parse(fast.requestBody('main')).client.capabilities, 'AiNAoAjwAg==', 'standard: no bit 46');
  t.equal(advertised(fast, 'fast'), FFE_FLAG_CONFIGURATION_RULES);
  t.equal(advertised(fast, 'main') & FFE_FLAG_CONFIGURATION_RULES, 0n, 'the standard request no longer advertises it');
  t.equal(advertised(fast, 'main') | advertised(fast, 'fast'), advertised(legacy, 'main'), 'union = legacy');
  t.equal(advertised(fast, 'main') & advertised(fast, 'fast'), 0n, 'nothing advertised twice');
  t.end();
});

void t.test('union of both requests = the legacy request, for several product sets and capability sets', (t) => {
  const everything = Object.values(RC_CAPABILITY).reduce((a, b) => a | b, 0n) | (1n << 60n);
  const cases: Array<Pick<RcClientOptions, 'products' | 'fastLaneProducts' | 'capabilities'>> = [
    { products: DD_TRACE_JS_PRODUCTS },
    { products: ['APM_TRACING', 'ASM', 'ASM_DD', 'ASM_DATA', 'ASM_FEATURES', 'FFE_FLAGS'], capabilities: everything },
    {
      products: ['APM_TRACING', 'AGENT_CONFIG', 'FFE_FLAGS'],
      fastLaneProducts: ['FFE_FLAGS', 'APM_TRACING'],
      capabilities: everything,
    },
    { products: ['ASM_FEATURES', 'FFE_FLAGS', 'LIVE_DEBUGGING'], fastLaneProducts: ['ASM_FEATURES', 'FFE_FLAGS'] },
    { products: DD_TRACE_JS_PRODUCTS, capabilities: Buffer.from('AmNAoAjwAg==', 'base64') },
  ];
  for (const c of cases) {
    const legacy = new RcClient({ ...base, ...c });
    const split = new RcClient({ ...base, ...c, policy: 'fastlane' });
    const lanes = split.laneNames();
    const union = lanes.map((l) => advertised(split, l)).reduce((a, b) => a | b, 0n);
    t.same(lanes, ['main', 'fast']);
    t.equal(union, advertised(legacy, 'main'), `${c.products.join(',')} over ${lanes.join('+')}`);
  }
  // With no standard request, nothing carries the other products' bits: the fast-lane request still has only its own.
  const fastOnly = new RcClient({ ...base, products: ['FFE_FLAGS'], policy: 'fastlane', capabilities: everything });
  t.same(fastOnly.laneNames(), ['fast']);
  t.equal(advertised(fastOnly, 'fast'), FFE_FLAG_CONFIGURATION_RULES);
  t.end();
});

void t.test('bits owned by nobody stay on the standard request; bits owned by both lanes go on both', (t) => {
  const unknownBit = 1n << 60n;
  const shared = 1n << 50n;
  const split = splitCapabilities(
    FFE_FLAG_CONFIGURATION_RULES | unknownBit | shared | RC_CAPABILITY.APM_TRACING_ENABLED,
    ['FFE_FLAGS'],
    ['APM_TRACING'],
    { FFE_FLAGS: FFE_FLAG_CONFIGURATION_RULES | shared, APM_TRACING: RC_CAPABILITY.APM_TRACING_ENABLED | shared },
  );
  t.equal(split.fast, FFE_FLAG_CONFIGURATION_RULES | shared);
  t.equal(split.standard, unknownBit | shared | RC_CAPABILITY.APM_TRACING_ENABLED);
  t.equal(splitCapabilities(0n, ['FFE_FLAGS'], ['APM_TRACING'], undefined).fast, 0n, 'never more than the client has');
  t.end();
});

void t.test('the split is configurable: a table or a function, dd-trace-js mapping as the fallback', (t) => {
  const MY_PRODUCT_BIT = 1n << 55n;
  const capabilities = DD_TRACE_JS_CAPABILITIES | FFE_FLAG_CONFIGURATION_RULES | MY_PRODUCT_BIT;
  const options: RcClientOptions = {
    ...base,
    products: [...DD_TRACE_JS_PRODUCTS, 'MY_FLAGS'],
    fastLaneProducts: ['FFE_FLAGS', 'MY_FLAGS'],
    policy: 'fastlane',
    capabilities,
  };
  const byTable = new RcClient({ ...options, productCapabilities: { MY_FLAGS: MY_PRODUCT_BIT } });
  t.equal(advertised(byTable, 'fast'), FFE_FLAG_CONFIGURATION_RULES | MY_PRODUCT_BIT, 'FFE_FLAGS from the fallback');
  t.equal(advertised(byTable, 'main'), DD_TRACE_JS_CAPABILITIES);

  const seen: string[] = [];
  const byFunction = new RcClient({
    ...options,
    productCapabilities: (product) => {
      seen.push(product);
      if (product === 'MY_FLAGS') return MY_PRODUCT_BIT;
      if (product === 'FFE_FLAGS') return 0n; // opt out: FFE_FLAGS owns nothing here
      return undefined;
    },
  });
  t.equal(advertised(byFunction, 'fast'), MY_PRODUCT_BIT);
  t.equal(advertised(byFunction, 'main'), DD_TRACE_JS_CAPABILITIES | FFE_FLAG_CONFIGURATION_RULES);
  t.ok(seen.includes('APM_TRACING') && seen.includes('MY_FLAGS'), 'asked about the products of both lanes');

  // A product named like an Object.prototype member is not "known" by any table.
  const odd = new RcClient({
    ...options,
    products: ['constructor', 'FFE_FLAGS'],
    fastLaneProducts: ['constructor', 'FFE_FLAGS'],
    productCapabilities: {},
  });
  t.equal(advertised(odd, 'fast'), FFE_FLAG_CONFIGURATION_RULES, 'only own keys of a table count');
  t.equal(JSON.parse(odd.requestBody('fast')).client.capabilities, encodeCapabilities(FFE_FLAG_CONFIGURATION_RULES));
  t.end();
});
