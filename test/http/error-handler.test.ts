import t from 'tap';
import {
  HTTP_BODY_ERROR_CODES,
  HttpBodyError,
  JSON_DECODE_ERROR_CODES,
  JsonDecodeError,
} from '../../src/http/error.js';
import {
  httpStatusForBodyError,
  httpStatusForDecodeError,
  httpStatusForServiceError,
  toHttpFailure,
} from '../../src/http/error-handler.js';
import { ServiceError, type ServiceErrorCode } from '../../src/service/index.js';
import { SERVICE_ERROR_CODES } from '../../src/service/error.js';

// grpc-go's codes.Code.String() for each code we can produce
const GRPC_NAMES = new Set(['Canceled', 'Unknown', 'InvalidArgument', 'NotFound', 'Unimplemented', 'Unavailable']);

t.test('every ServiceError code has an HTTP status', (t) => {
  const want: Record<ServiceErrorCode, number> = {
    INVALID_ARGUMENT: 500,
    UNIMPLEMENTED: 404,
    NOT_FOUND: 404,
    CANCELLED: 500,
    UNAVAILABLE: 500,
    UNKNOWN: 500,
  };
  t.same(Object.keys(want).sort(), [...SERVICE_ERROR_CODES].sort(), 'the table above covers every code');
  for (const code of SERVICE_ERROR_CODES) {
    const { status, grpcName } = httpStatusForServiceError(code);
    t.equal(status, want[code], code);
    t.ok(GRPC_NAMES.has(grpcName), `${code} → ${grpcName}`);
    const failure = toHttpFailure(new ServiceError(code, 'm'));
    t.equal(failure.status, status);
    t.equal(failure.code, code);
    t.equal(failure.body, `rpc error: code = ${grpcName} desc = m\n`);
  }
  t.end();
});

t.test('every decode and body error code has an HTTP status', (t) => {
  for (const code of JSON_DECODE_ERROR_CODES) {
    t.equal(httpStatusForDecodeError(code), 400, code);
    t.same(toHttpFailure(new JsonDecodeError(code, 'bad')), { status: 400, code, body: 'bad\n' });
  }
  const bodyStatus = { BODY_TOO_LARGE: 413, BODY_UNREADABLE: 400 };
  for (const code of HTTP_BODY_ERROR_CODES) {
    t.equal(httpStatusForBodyError(code), bodyStatus[code], code);
    t.equal(toHttpFailure(new HttpBodyError(code, 'x')).status, bodyStatus[code]);
  }
  t.end();
});

t.test('an unmapped code is a programming error, not a silent 500', (t) => {
  t.throws(() => httpStatusForServiceError('NOPE' as ServiceErrorCode), TypeError);
  t.end();
});

t.test('anything else is a 500 that does not leak its message', (t) => {
  t.same(toHttpFailure(new Error('secret detail')), { status: 500, code: 'INTERNAL', body: 'internal server error\n' });
  t.same(toHttpFailure('a string'), { status: 500, code: 'INTERNAL', body: 'internal server error\n' });
  t.end();
});

t.test("fastify's body errors become ours", (t) => {
  const tooLarge = Object.assign(new RangeError('Request body is too large'), {
    code: 'FST_ERR_CTP_BODY_TOO_LARGE',
    statusCode: 413,
  });
  t.same(toHttpFailure(tooLarge), { status: 413, code: 'BODY_TOO_LARGE', body: 'http: request body too large\n' });
  const badLength = Object.assign(new RangeError('Request body size did not match Content-Length'), {
    code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
    statusCode: 400,
  });
  t.equal(toHttpFailure(badLength).status, 400);
  t.equal(toHttpFailure(badLength).code, 'BODY_UNREADABLE');
  t.end();
});
