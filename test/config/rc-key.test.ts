import t from 'tap';
import { Packr } from 'msgpackr';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { RemoteConfigKeyError, encodeRemoteConfigKey, parseRemoteConfigKey } from '../../src/config/rc-key.js';
import { decodeBase32NoPadding, encodeBase32NoPadding } from '../../src/config/rc-key.js';

const packr = new Packr({ useRecords: false });
const keyOf = (value: unknown, prefix = 'DDRCM_'): string =>
  prefix + encodeBase32NoPadding(packr.pack(value instanceof Map ? value : new Map(Object.entries(value as object))));

t.test('base32 without padding, as Go StdEncoding.WithPadding(NoPadding)', (t) => {
  // RFC 4648 test vectors, padding removed
  const vectors: Array<[string, string]> = [
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ];
  for (const [plain, encoded] of vectors) {
    t.equal(encodeBase32NoPadding(Buffer.from(plain)), encoded);
    t.equal(Buffer.from(decodeBase32NoPadding(encoded)).toString(), plain);
  }
  t.equal(Buffer.from(decodeBase32NoPadding('MZXW\r\n6YTB')).toString(), 'fooba', 'CR/LF ignored');
  t.throws(() => decodeBase32NoPadding('MZXW6==='), { message: /illegal base32 data at input byte 5/ });
  t.throws(() => decodeBase32NoPadding('mzxw6'), { message: /illegal base32 data at input byte 0/ });
  t.throws(() => decodeBase32NoPadding('MZX'), { message: /illegal base32 data/ }, '3 tail chars hold no whole byte');
  t.end();
});

t.test('a valid key: app key, org ID and datacenter', (t) => {
  const text = encodeRemoteConfigKey({ appKey: 'app-123', orgId: 2, datacenter: 'us1.prod.dog' });
  t.match(text, /^DDRCM_[A-Z2-7]+$/);
  t.same(parseRemoteConfigKey(text), { appKey: 'app-123', orgId: 2, datacenter: 'us1.prod.dog' });
  // the reference trims the prefix when present
  t.same(parseRemoteConfigKey(text.slice('DDRCM_'.length)).orgId, 2);
  t.end();
});

t.test('org is any msgpack integer; extra keys are skipped', (t) => {
  // uint8, uint16, uint32, uint64 and int64 encodings of the same org ID
  for (const hex of ['cc7b', 'cd007b', 'ce0000007b', 'cf000000000000007b', 'd3000000000000007b', 'd07b']) {
    const raw = Buffer.concat([
      Buffer.from('84', 'hex'),
      packr.pack('key').subarray(0),
      packr.pack('k'),
      packr.pack('dc'),
      packr.pack('us1'),
      packr.pack('org'),
      Buffer.from(hex, 'hex'),
      packr.pack('extra'),
      packr.pack([1, 2]),
    ]);
    t.equal(parseRemoteConfigKey('DDRCM_' + encodeBase32NoPadding(raw)).orgId, 123, hex);
  }
  const big = Buffer.concat([Buffer.from('81', 'hex'), packr.pack('org'), Buffer.from('cf0020000000000000', 'hex')]);
  t.throws(() => parseRemoteConfigKey(encodeBase32NoPadding(big)), { message: /"org" is out of range/ });
  t.end();
});

t.test('invalid keys are refused without echoing them', (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['not base32', 'DDRCM_abc!', /illegal base32 data at input byte 0/],
    ['truncated msgpack', 'DDRCM_' + encodeBase32NoPadding(Buffer.from([0x82, 0xa3])), /not a msgpack value/],
    ['not a map', 'DDRCM_' + encodeBase32NoPadding(packr.pack([1, 2])), /not a msgpack map/],
    ['no app key', keyOf({ org: 2, dc: 'us1' }), /all required/],
    ['no dc', keyOf({ key: 'k', org: 2 }), /all required/],
    ['org 0', keyOf({ key: 'k', org: 0, dc: 'us1' }), /all required/],
    ['no org', keyOf({ key: 'k', dc: 'us1' }), /all required/],
    ['org a string', keyOf({ key: 'k', org: '2', dc: 'us1' }), /"org" is not an integer/],
    ['org a float', keyOf({ key: 'k', org: 2.5, dc: 'us1' }), /"org" is not an integer/],
    ['org negative', keyOf({ key: 'k', org: -2, dc: 'us1' }), /"org" is out of range/],
    ['key not a string', keyOf({ key: 7, org: 2, dc: 'us1' }), /"key" is not a string/],
  ];
  for (const [name, text, message] of cases) {
    const err = t.throws(() => parseRemoteConfigKey(text), { name: 'RemoteConfigKeyError', message }, name);
    t.ok(err instanceof RemoteConfigKeyError);
  }
  t.end();
});

t.test('start-up: a bad key stops loadConfig naming the key, never printing it', (t) => {
  const secret = keyOf({ key: 'super-secret-app-key', org: 0, dc: 'us1' });
  let err: unknown;
  try {
    loadConfig({ env: { DD_API_KEY: 'x', DD_REMOTE_CONFIGURATION_KEY: secret } });
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof ConfigError);
  const message = (err as Error).message;
  t.match(message, /^remote_configuration\.key: invalid remote config key/);
  t.notOk(message.includes(secret) || message.includes('super-secret'), 'the key is not in the message');

  const ok = loadConfig({
    env: {
      DD_API_KEY: 'x',
      DD_REMOTE_CONFIGURATION_KEY: encodeRemoteConfigKey({ appKey: 'a', orgId: 42, datacenter: 'us1' }),
    },
  });
  t.same(ok.remoteConfiguration.rcKey, { appKey: 'a', orgId: 42, datacenter: 'us1' });
  t.equal(loadConfig({ env: {} }).remoteConfiguration.rcKey, undefined);

  // a YAML value of the wrong type is refused without echoing it either
  t.throws(() => loadConfig({ env: {}, overrides: { 'remote_configuration.key': 12345 } }), {
    message: /remote_configuration\.key: invalid value <redacted>/,
  });
  t.end();
});
