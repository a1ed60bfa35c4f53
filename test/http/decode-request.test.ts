import t from 'tap';
import protobuf from 'protobufjs';
import { decodeClientGetConfigsRequest, JsonDecodeError } from '../../src/http/index.js';
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
    t.equal(e.message, message, value);
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
      'json: cannot unmarshal number 1e+30 into Go struct field ClientState.client.state.root_version of type uint64',
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
