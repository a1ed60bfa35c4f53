import t from 'tap';
import { BENCH_ERROR_DOCS, BenchError } from '../../bench/error.js';
import { BACKEND_ERROR_DOCS, BackendError } from '../../src/backend/error.js';
import { SIGNER_ERROR_DOCS, SignerError } from '../../src/backend/signer/error.js';
import { RC_CLIENT_ERROR_DOCS, RcClientError } from '../../src/client/error.js';
import { CLUSTER_ERROR_DOCS, ClusterError } from '../../src/cluster/error.js';
import { CONFIG_ERROR_DOCS, ConfigError } from '../../src/config/error.js';
import { CONFIG_STREAM_ERROR_DOCS, ConfigStreamError } from '../../src/configstream/error.js';
import { CodedError, codesOf, type ErrorCodeDocs } from '../../src/errors/index.js';
import { GRPC_SETUP_ERROR_DOCS, GrpcSetupError } from '../../src/grpc/error.js';
import { CONTAINER_TAGS_ERROR_DOCS, ContainerTagsError } from '../../src/http/container-tags.js';
import { HTTP_BODY_ERROR_DOCS, HttpBodyError, JSON_DECODE_ERROR_DOCS, JsonDecodeError } from '../../src/http/error.js';
import { SERVICE_ERROR_DOCS, ServiceError } from '../../src/service/error.js';
import { UPTANE_ERROR_DOCS, UptaneError } from '../../src/uptane/error.js';

interface Family {
  readonly name: string;
  readonly docs: ErrorCodeDocs<string>;
  readonly make: (code: string, message: string, options?: { cause?: unknown }) => CodedError<string>;
}

// Each error class with its docs record; `make` takes any documented code (checked at run time below).
function family<C extends string>(
  name: string,
  docs: ErrorCodeDocs<C>,
  Ctor: new (code: C, message: string, options?: { cause?: unknown }) => CodedError<C>,
): Family {
  const isCode = (code: string): code is C => Object.hasOwn(docs, code);
  return {
    name,
    docs,
    make: (code, message, options) => {
      if (!isCode(code)) throw new TypeError(`${code} is not a ${name} code`);
      return new Ctor(code, message, options);
    },
  };
}

const FAMILIES: readonly Family[] = [
  family('BackendError', BACKEND_ERROR_DOCS, BackendError),
  family('SignerError', SIGNER_ERROR_DOCS, SignerError),
  family('RcClientError', RC_CLIENT_ERROR_DOCS, RcClientError),
  family('ClusterError', CLUSTER_ERROR_DOCS, ClusterError),
  family('ConfigError', CONFIG_ERROR_DOCS, ConfigError),
  family('ConfigStreamError', CONFIG_STREAM_ERROR_DOCS, ConfigStreamError),
  family('GrpcSetupError', GRPC_SETUP_ERROR_DOCS, GrpcSetupError),
  family('ContainerTagsError', CONTAINER_TAGS_ERROR_DOCS, ContainerTagsError),
  family('JsonDecodeError', JSON_DECODE_ERROR_DOCS, JsonDecodeError),
  family('HttpBodyError', HTTP_BODY_ERROR_DOCS, HttpBodyError),
  family('ServiceError', SERVICE_ERROR_DOCS, ServiceError),
  family('UptaneError', UPTANE_ERROR_DOCS, UptaneError),
  family('BenchError', BENCH_ERROR_DOCS, BenchError),
];

void t.test('every code of every error family is documented', async (t) => {
  for (const { name, docs } of FAMILIES) {
    const codes = codesOf(docs);
    t.ok(codes.length > 0, `${name} has codes`);
    for (const code of codes) {
      t.match(code, /^[A-Z][A-Z0-9_]*$/, `${name} ${code} is an upper-case code`);
      t.match(docs[code], /\S/, `${name} ${code} has a description`);
    }
  }
});

void t.test('each error keeps its name, code, message and cause', async (t) => {
  const cause = new Error('root');
  for (const { name, docs, make } of FAMILIES) {
    for (const code of codesOf(docs)) {
      const err = make(code, 'what failed', { cause });
      t.ok(err instanceof CodedError && err instanceof Error, `${name} ${code} is a CodedError`);
      t.equal(err.name, name);
      t.equal(err.code, code);
      t.equal(err.message, 'what failed');
      t.equal(err.cause, cause);
      t.equal(String(err), `${name}: what failed`);
      t.match(err.stack, new RegExp(`^${name}: what failed\\n`), `${name} stack names the class`);
    }
    const [first = ''] = codesOf(docs);
    t.notOk('cause' in make(first, 'no cause'), `${name} without a cause has none`);
    t.notOk('cause' in make(first, 'no cause', {}), `${name}: an empty options bag adds no cause`);
  }
});

void t.test('codesOf lists the codes in the order they are documented', async (t) => {
  t.same(codesOf({ B: 'b', A: 'a', C: 'c' }), ['B', 'A', 'C']);
  t.ok(Object.isFrozen(codesOf({ A: 'a' })));
});
