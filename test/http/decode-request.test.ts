import t from 'tap';
import Long from 'long';
import protobuf from 'protobufjs';
import { decodeClientGetConfigsRequest } from '../../src/http/index.js';
import { JsonDecodeError } from '../../src/http/error.js';
import { pb } from '../../src/proto/index.js';
import { LITERAL_REQUEST } from '../helpers/rc-literal.js';

function decodeError(body: string): JsonDecodeError {
  try {
    decodeClientGetConfigsRequest(body);
  } catch (e) {
    if (e instanceof JsonDecodeError) return e;
    throw e;
  }
  throw new Error(`decoded: ${body}`);
}

t.test('the literal first poll of PROTOCOL §3.3', (t) => {
  const r = decodeClientGetConfigsRequest(Buffer.from(LITERAL_REQUEST));
  const client = r.client!;
  t.equal(client.id, 'add46572-e33f-496d-97c8-2871a16d74b1');
  t.same(client.products, ['APM_TRACING', 'AGENT_CONFIG', 'AGENT_TASK', 'ASM_FEATURES', 'FFE_FLAGS']);
  t.equal(client.isTracer, true);
  t.equal(client.state!.rootVersion, 1);
  t.equal(client.state!.targetsVersion, 0);
  t.same(client.state!.configStates, []);
  t.equal(client.state!.hasError, false);
  t.equal(client.state!.backendClientState!.length, 0);
  t.equal(client.clientTracer!.runtimeId, '6997032b-1e74-4ce8-8290-b6e64aed0fe5');
  t.equal(client.clientTracer!.language, 'node');
  t.equal(client.clientTracer!.tracerVersion, '6.21.0');
  t.equal(client.clientTracer!.appVersion, '1.2.3');
  t.equal(client.clientTracer!.tags!.length, 5);
  t.equal(client.clientTracer!.processTags!.length, 6);
  t.same([...client.capabilities!], [...Buffer.from('AmNAoAjwAg==', 'base64')]);
  t.same(r.cachedTargetFiles, []);
  // a string body decodes the same
  t.same(decodeClientGetConfigsRequest(LITERAL_REQUEST), r);
  // the decoded object is a valid protobufjs message shape
  t.equal(pb.ClientGetConfigsRequest.verify(r), null);
  t.end();
});

t.test('the next poll: config states, cached files with hashes, echoed backend state', (t) => {
  const r = decodeClientGetConfigsRequest(
    JSON.stringify({
      client: {
        state: {
          root_version: 1,
          targets_version: 1795344487,
          config_states: [{ id: 'ffe-bench', version: 1, product: 'FFE_FLAGS', apply_state: 2, apply_error: '' }],
          backend_client_state: 'eyJmb28iOiJiYXIifQ==',
        },
        id: 'c',
        is_tracer: true,
        client_tracer: { language: 'node' },
      },
      cached_target_files: [
        { path: 'datadog/2/FFE_FLAGS/ffe-bench/config', length: 59, hashes: [{ algorithm: 'sha256', hash: 'b8c0' }] },
      ],
    }),
  );
  t.same(r.client!.state!.configStates, [
    { id: 'ffe-bench', version: 1, product: 'FFE_FLAGS', applyState: 2, applyError: '' },
  ]);
  t.equal(Buffer.from(r.client!.state!.backendClientState!).toString(), '{"foo":"bar"}');
  t.equal(r.cachedTargetFiles![0]!.hashes![0]!.algorithm, 'sha256');
  t.equal(r.cachedTargetFiles![0]!.length, 59);
  t.end();
});

t.test('every proto field of the request tree decodes to its protobufjs property', (t) => {
  // reflection from proto/ itself, so a field added there and missing here fails
  const root = new protobuf.Root().loadSync('proto/remoteconfig.proto', { keepCase: true });
  const build = (
    type: protobuf.Type,
    depth: number,
  ): { json: Record<string, unknown>; expected: Record<string, unknown> } => {
    const json: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const field of type.fieldsArray) {
      field.resolve();
      let jv: unknown;
      let ev: unknown;
      if (field.resolvedType instanceof protobuf.Type) {
        const nested = build(field.resolvedType, depth + 1);
        jv = nested.json;
        ev = nested.expected;
      } else if (field.resolvedType instanceof protobuf.Enum) {
        jv = ev = 2;
      } else if (field.type === 'string') {
        jv = ev = `${field.name}-${depth}`;
      } else if (field.type === 'bool') {
        jv = ev = true;
      } else if (field.type === 'bytes') {
        jv = 'AQID';
        ev = Buffer.from([1, 2, 3]);
      } else {
        jv = ev = 7;
      }
      json[field.name] = field.repeated ? [jv] : jv;
      expected[protobuf.util.camelCase(field.name)] = field.repeated ? [ev] : ev;
    }
    return { json, expected };
  };
  const { json, expected } = build(root.lookupType('datadog.config.ClientGetConfigsRequest'), 0);
  const decoded = decodeClientGetConfigsRequest(JSON.stringify(json));
  t.same(decoded, expected);
  t.equal(pb.ClientGetConfigsRequest.verify(decoded), null);
  // and protobuf round-trips it (the gRPC path sees the same shape)
  const roundTrip = pb.ClientGetConfigsRequest.toObject(
    pb.ClientGetConfigsRequest.decode(pb.ClientGetConfigsRequest.encode(decoded).finish()),
  );
  t.same(roundTrip, expected);
  t.end();
});

t.test('keys match case-insensitively, exact names first', (t) => {
  const r = decodeClientGetConfigsRequest(
    '{"CLIENT":{"State":{"Root_Version":2},"ID":"a","Is_Tracer":true},"Cached_Target_Files":[{"PATH":"p"}]}',
  );
  t.equal(r.client!.state!.rootVersion, 2);
  t.equal(r.client!.id, 'a');
  t.equal(r.client!.isTracer, true);
  t.equal(r.cachedTargetFiles![0]!.path, 'p');
  // Go's fold maps the Kelvin sign to K and the long s to S
  const k = decodeClientGetConfigsRequest('{"client":{"state":{"bac\u212aend_client_\u017ftate":"AQ=="}}}');
  t.same([...k.client!.state!.backendClientState!], [1]);
  // two spellings of one key: the later one wins, as each decodes into the same field
  t.equal(decodeClientGetConfigsRequest('{"client":{"id":"a","ID":"b"}}').client!.id, 'b');
  // an object given twice (other case) is merged into the same struct
  t.same(decodeClientGetConfigsRequest('{"client":{"id":"a"},"Client":{"products":["X"]}}').client, {
    id: 'a',
    products: ['X'],
  });
  t.end();
});

t.test('unknown keys are ignored, whatever their value', (t) => {
  const r = decodeClientGetConfigsRequest(
    '{"foo":[1,{"x":null}],"client":{"bar":"x","id":"a","state":{"baz":{}}},"cached":1}',
  );
  t.same(r, { client: { id: 'a', state: {} } });
  t.end();
});

t.test('null leaves the zero value', (t) => {
  t.same(decodeClientGetConfigsRequest('null'), {});
  t.same(decodeClientGetConfigsRequest('{"client":null,"cached_target_files":null}'), {});
  t.same(
    decodeClientGetConfigsRequest(
      '{"client":{"state":null,"id":null,"products":null,"capabilities":null,"is_tracer":null,"last_seen":null}}',
    ),
    {
      client: {},
    },
  );
  // null elements: "" in a string list, 0 in a byte list, an empty message in a message list
  t.same(decodeClientGetConfigsRequest('{"client":{"products":["A",null]}}').client!.products, ['A', '']);
  t.same([...decodeClientGetConfigsRequest('{"client":{"capabilities":[1,null,3]}}').client!.capabilities!], [1, 0, 3]);
  t.same(decodeClientGetConfigsRequest('{"cached_target_files":[null]}').cachedTargetFiles, [{}]);
  // null after a value resets a pointer but not a scalar
  t.same(decodeClientGetConfigsRequest('{"client":{"id":"a","ID":null,"state":{},"State":null}}').client, { id: 'a' });
  t.end();
});

t.test('bytes: padded base64 or a JSON number array', (t) => {
  const expected = [...Buffer.from('AmNAoAjwAg==', 'base64')];
  t.same(
    [...decodeClientGetConfigsRequest('{"client":{"capabilities":[2,99,64,160,8,240,2]}}').client!.capabilities!],
    expected,
  );
  t.same(
    [...decodeClientGetConfigsRequest('{"client":{"capabilities":"AmNAoAjwAg=="}}').client!.capabilities!],
    expected,
  );
  // Go skips line breaks inside base64
  t.same(
    [...decodeClientGetConfigsRequest('{"client":{"capabilities":"AmNA\\r\\noAjwAg=="}}').client!.capabilities!],
    expected,
  );
  t.equal(
    decodeClientGetConfigsRequest('{"client":{"state":{"backend_client_state":[]}}}').client!.state!.backendClientState!
      .length,
    0,
  );

  const cases: Array<[string, string]> = [
    ['"AmNAoAjwAg"', 'illegal base64 data at input byte 8'], // unpadded
    ['"AmNAoAjwAg="', 'illegal base64 data at input byte 11'], // short padding
    ['"AmNA-_jwAg=="', 'illegal base64 data at input byte 4'], // URL alphabet
    ['"A"', 'illegal base64 data at input byte 0'],
    ['"=AAA"', 'illegal base64 data at input byte 0'],
    ['"AA==AA=="', 'illegal base64 data at input byte 4'], // data after padding
    ['"AAA=A"', 'illegal base64 data at input byte 4'],
    ['"AA=A"', 'illegal base64 data at input byte 2'],
  ];
  for (const [value, message] of cases) {
    const e = decodeError(`{"client":{"capabilities":${value}}}`);
    t.equal(e.code, 'JSON_BASE64', value);
    // Go's text first, then the field (Go's own error does not name it)
    t.equal(e.message, `${message} in Go struct field Client.client.capabilities of type []uint8`, value);
  }
  t.end();
});

t.test('a wrong type, a fraction or a negative unsigned fails with Go wording', (t) => {
  const cases: Array<[string, string]> = [
    [
      '{"client":1}',
      'json: cannot unmarshal number into Go struct field ClientGetConfigsRequest.client of type core.Client',
    ],
    [
      '{"client":[]}',
      'json: cannot unmarshal array into Go struct field ClientGetConfigsRequest.client of type core.Client',
    ],
    ['{"client":{"id":5}}', 'json: cannot unmarshal number into Go struct field Client.client.id of type string'],
    [
      '{"client":{"is_tracer":"true"}}',
      'json: cannot unmarshal string into Go struct field Client.client.is_tracer of type bool',
    ],
    [
      '{"client":{"products":"APM_TRACING"}}',
      'json: cannot unmarshal string into Go struct field Client.client.products of type []string',
    ],
    [
      '{"client":{"products":[1]}}',
      'json: cannot unmarshal number into Go struct field Client.client.products of type string',
    ],
    [
      '{"client":{"state":{"root_version":1.5}}}',
      'json: cannot unmarshal number 1.5 into Go struct field ClientState.client.state.root_version of type uint64',
    ],
    [
      '{"client":{"state":{"root_version":-1}}}',
      'json: cannot unmarshal number -1 into Go struct field ClientState.client.state.root_version of type uint64',
    ],
    [
      '{"client":{"state":{"root_version":-0}}}',
      'json: cannot unmarshal number -0 into Go struct field ClientState.client.state.root_version of type uint64',
    ],
    [
      '{"client":{"state":{"root_version":"1"}}}',
      'json: cannot unmarshal string into Go struct field ClientState.client.state.root_version of type uint64',
    ],
    [
      '{"client":{"state":{"root_version":1e30}}}',
      'json: cannot unmarshal number 1e30 into Go struct field ClientState.client.state.root_version of type uint64',
    ],
    [
      '{"client":{"state":{"config_states":[{"apply_state":true}]}}}',
      'json: cannot unmarshal bool into Go struct field ConfigState.client.state.config_states.apply_state of type uint64',
    ],
    [
      '{"client":{"state":{"config_states":{}}}}',
      'json: cannot unmarshal object into Go struct field ClientState.client.state.config_states of type []*core.ConfigState',
    ],
    [
      '{"cached_target_files":["x"]}',
      'json: cannot unmarshal string into Go struct field ClientGetConfigsRequest.cached_target_files of type core.TargetFileMeta',
    ],
    [
      '{"cached_target_files":[{"length":1.5}]}',
      'json: cannot unmarshal number 1.5 into Go struct field TargetFileMeta.cached_target_files.length of type int64',
    ],
    [
      '{"cached_target_files":[{"hashes":[{"hash":0}]}]}',
      'json: cannot unmarshal number into Go struct field TargetFileHash.cached_target_files.hashes.hash of type string',
    ],
    [
      '{"client":{"capabilities":[256]}}',
      'json: cannot unmarshal number 256 into Go struct field Client.client.capabilities of type uint8',
    ],
    [
      '{"client":{"capabilities":["a"]}}',
      'json: cannot unmarshal string into Go struct field Client.client.capabilities of type uint8',
    ],
    [
      '{"client":{"capabilities":{}}}',
      'json: cannot unmarshal object into Go struct field Client.client.capabilities of type []uint8',
    ],
    [
      '{"client":{"client_updater":{"packages":[{"task":{"state":2147483648}}]}}}',
      'json: cannot unmarshal number 2147483648 into Go struct field PackageStateTask.client.client_updater.packages.task.state of type core.TaskState',
    ],
    ['[]', 'json: cannot unmarshal array into Go value of type core.ClientGetConfigsRequest'],
    ['"x"', 'json: cannot unmarshal string into Go value of type core.ClientGetConfigsRequest'],
  ];
  for (const [body, message] of cases) {
    const e = decodeError(body);
    t.equal(e.code, 'JSON_TYPE', body);
    t.equal(e.message, message, body);
  }
  // negative lengths are int64 and allowed (validation is the service's job)
  t.equal(decodeClientGetConfigsRequest('{"cached_target_files":[{"length":-3}]}').cachedTargetFiles![0]!.length, -3);
  // the first error in document order wins
  t.match(decodeError('{"client":{"id":1,"products":2}}').message, /client\.id of type string/);
  t.end();
});

t.test('syntax errors read like Go', (t) => {
  const cases: Array<[string, string]> = [
    ['', 'unexpected end of JSON input'],
    ['   ', 'unexpected end of JSON input'],
    ['{"client":', 'unexpected end of JSON input'],
    ['{"client":{"id":"a', 'unexpected end of JSON input'],
    ['x', "invalid character 'x' looking for beginning of value"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['{,}', "invalid character ',' looking for beginning of object key string"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['[1 2]', "invalid character '2' after array element"],
    ['{}{}', "invalid character '{' after top-level value"],
    ['01', "invalid character '1' after top-level value"],
    ['-x', "invalid character 'x' in numeric literal"],
    ['1.e5', "invalid character 'e' after decimal point in numeric literal"],
    ['1e+', 'unexpected end of JSON input'],
    ['1ex', "invalid character 'x' in exponent of numeric literal"],
    ['tru', 'unexpected end of JSON input'],
    ['trux', "invalid character 'x' in literal true (expecting 'e')"],
    ['nul1', "invalid character '1' in literal null (expecting 'l')"],
    ['fals', 'unexpected end of JSON input'],
    ['"a\\x"', "invalid character 'x' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ["'a'", "invalid character '\\'' looking for beginning of value"],
    ['\ufeff{}', "invalid character 'ï' looking for beginning of value"],
    ['\u0001', "invalid character '\\x01' looking for beginning of value"],
  ];
  for (const [body, message] of cases) {
    const e = decodeError(body);
    t.equal(e.code, 'JSON_SYNTAX', JSON.stringify(body));
    t.equal(e.message, message, JSON.stringify(body));
  }
  // dd-trace-go's trailing newline is fine
  t.same(decodeClientGetConfigsRequest('{"client":{"id":"a"}}\n'), { client: { id: 'a' } });
  t.end();
});

t.test('lone surrogate escapes become U+FFFD, as Go decodes them', (t) => {
  t.equal(decodeClientGetConfigsRequest('{"client":{"id":"\\ud800x"}}').client!.id, '\ufffdx');
  t.equal(decodeClientGetConfigsRequest('{"client":{"products":["\\udc00"]}}').client!.products![0], '\ufffd');
  // a valid pair is one character
  t.equal(decodeClientGetConfigsRequest('{"client":{"id":"\\ud83d\\ude00"}}').client!.id, '😀');
  t.end();
});

t.test('numbers are judged on their literal, as Go does', (t) => {
  const rootVersion = (literal: string): unknown =>
    decodeClientGetConfigsRequest(`{"client":{"state":{"root_version":${literal}}}}`).client!.state!.rootVersion;
  const uint64Error = (literal: string, field = 'ClientState.client.state.root_version'): string =>
    `json: cannot unmarshal number ${literal} into Go struct field ${field} of type uint64`;
  // not integer literals, whatever their value
  for (const literal of ['1E2', '1e2', '1.0', '100e-2', '1.5', '0.0', '-0']) {
    t.equal(decodeError(`{"client":{"state":{"root_version":${literal}}}}`).message, uint64Error(literal), literal);
  }
  // negative and out of range
  for (const literal of ['-1', '18446744073709551616', '99999999999999999999999']) {
    t.equal(decodeError(`{"client":{"state":{"root_version":${literal}}}}`).message, uint64Error(literal), literal);
  }
  // small integers are plain numbers; beyond 2^53 the exact value, as an unsigned Long
  t.equal(rootVersion('9007199254740991'), 9007199254740991);
  for (const literal of ['9007199254740992', '9007199254740993', '18446744073709551615']) {
    const v = rootVersion(literal);
    t.ok(Long.isLong(v), `${literal} is a Long`);
    t.equal((v as Long).toString(), literal, `${literal} exactly`);
    t.equal((v as Long).unsigned, true);
  }
  // every uint64 field, wherever it is
  t.equal(
    decodeError('{"client":{"state":{"config_states":[{"version":1,"apply_state":2.0}]}}}').message,
    uint64Error('2.0', 'ConfigState.client.state.config_states.apply_state'),
  );
  t.equal(decodeError('{"client":{"last_seen":1E3}}').message, uint64Error('1E3', 'Client.client.last_seen'));
  // int64: signed, exact to ±2^63
  const length = (literal: string): unknown =>
    decodeClientGetConfigsRequest(`{"cached_target_files":[{"length":${literal}}]}`).cachedTargetFiles![0]!.length;
  t.equal((length('-9223372036854775808') as Long).toString(), '-9223372036854775808');
  t.equal((length('9223372036854775807') as Long).toString(), '9223372036854775807');
  t.equal(
    decodeError('{"cached_target_files":[{"length":9223372036854775808}]}').message,
    'json: cannot unmarshal number 9223372036854775808 into Go struct field TargetFileMeta.cached_target_files.length of type int64',
  );
  // int32 and uint8 too
  t.equal(
    decodeError('{"client":{"client_updater":{"packages":[{"task":{"state":1.0}}]}}}').message,
    'json: cannot unmarshal number 1.0 into Go struct field PackageStateTask.client.client_updater.packages.task.state of type core.TaskState',
  );
  t.equal(
    decodeError('{"client":{"capabilities":[1,2e0]}}').message,
    'json: cannot unmarshal number 2e0 into Go struct field Client.client.capabilities of type uint8',
  );
  // whitespace around the colon or inside the array does not hide a literal
  t.match(decodeError('{"client":{"state":{"root_version" : 1.0}}}').message, /number 1\.0 into/);
  t.match(decodeError('{"client":{"capabilities":[ 1 , 2.0 ]}}').message, /number 2\.0 into/);
  t.equal(
    decodeClientGetConfigsRequest('{"client":{"client_tracer":{"tags":["version:1.0.0"]}}}').client!.clientTracer!
      .tags![0],
    'version:1.0.0',
  );
  // a fraction inside a string only takes the slow path: same result
  const body = '{"client":{"id":"a:1.5","state":{"root_version":3},"client_tracer":{"tags":["v:2e5"]}}}';
  t.same(decodeClientGetConfigsRequest(body), {
    client: { id: 'a:1.5', state: { rootVersion: 3 }, clientTracer: { tags: ['v:2e5'] } },
  });
  // the first error in document order still wins when a literal is involved
  t.match(decodeError('{"client":{"id":1,"last_seen":1.0}}').message, /client\.id of type string/);
  t.match(decodeError('{"client":{"last_seen":1.0,"id":1}}').message, /last_seen of type uint64/);
  // a number where an object belongs is still a type error in the slow path
  t.equal(
    decodeError('{"client":{"state":1.5}}').message,
    'json: cannot unmarshal number into Go struct field Client.client.state of type core.ClientState',
  );
  t.end();
});

t.test('an exact 64-bit value is encoded exactly by protobuf (forwarded upstream, over gRPC)', (t) => {
  const request = decodeClientGetConfigsRequest(
    '{"client":{"id":"c","state":{"root_version":18446744073709551615,"targets_version":9007199254740993}}}',
  );
  const bytes = pb.ClientGetConfigsRequest.encode(request).finish();
  const reader = protobuf.Reader.create(bytes);
  // client (1) → state (1) → root_version (1) / targets_version (2), read as raw varints
  reader.uint32();
  const client = protobuf.Reader.create(reader.bytes());
  let seen = 0;
  while (client.pos < client.len) {
    const tag = client.uint32();
    if (tag >>> 3 !== 1) {
      client.skipType(tag & 7);
      continue;
    }
    // ClientState holds only varint fields here: read each exactly
    const state = client.bytes();
    let i = 0;
    const varint = (): bigint => {
      let v = 0n;
      for (let shift = 0n; ; shift += 7n) {
        const b = state[i++]!;
        v |= BigInt(b & 0x7f) << shift;
        if (b < 0x80) return v;
      }
    };
    while (i < state.length) {
      const field = Number(varint() >> 3n);
      const value = varint().toString();
      if (field === 1) t.equal(value, '18446744073709551615');
      if (field === 2) t.equal(value, '9007199254740993');
      seen++;
    }
  }
  t.equal(seen, 2);
  t.end();
});

t.test('small decoded bytes hold no slice of the allocation pool the body came from, and are shared', (t) => {
  const body = (id: string): string =>
    JSON.stringify({
      client: { id, products: ['FFE_FLAGS'], capabilities: 'AmNAoAjwAg==', state: { backend_client_state: '' } },
    });
  const a = decodeClientGetConfigsRequest(body('a'));
  const b = decodeClientGetConfigsRequest(Buffer.from(body('b')));
  const caps = a.client!.capabilities!;
  t.same([...caps], [2, 99, 64, 160, 8, 240, 2]);
  // its own ArrayBuffer: a retained decoded request keeps these bytes alive, not a pool with request bodies in it
  t.equal(caps.buffer.byteLength, caps.byteLength);
  t.equal(b.client!.capabilities, caps, 'one buffer for the same capabilities');
  t.equal(a.client!.state!.backendClientState!.byteLength, 0);
  t.equal(a.client!.state!.backendClientState!.buffer.byteLength, 0);
  const numbers = decodeClientGetConfigsRequest('{"client":{"id":"c","capabilities":[2,99,64,160,8,240,2]}}');
  t.equal(numbers.client!.capabilities, caps, 'a number array decodes to the same shared bytes');
  t.end();
});
