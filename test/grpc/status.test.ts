import t from 'tap';
import { status } from '@grpc/grpc-js';
import { grpcStatusForServiceErrorCode, serviceErrorToGrpcStatus } from '../../src/grpc/status.js';
import { ServiceError, type ServiceErrorCode } from '../../src/service/index.js';
import { SERVICE_ERROR_CODES } from '../../src/service/error.js';

t.test('every ServiceError code has a gRPC status', (t) => {
  const want: Record<ServiceErrorCode, status> = {
    INVALID_ARGUMENT: status.INVALID_ARGUMENT,
    UNIMPLEMENTED: status.UNIMPLEMENTED,
    NOT_FOUND: status.NOT_FOUND,
    CANCELLED: status.CANCELLED,
    UNAVAILABLE: status.UNAVAILABLE,
    UNKNOWN: status.UNKNOWN,
  };
  t.same(Object.keys(want).sort(), [...SERVICE_ERROR_CODES].sort(), 'the table above covers every code');
  for (const code of SERVICE_ERROR_CODES) {
    t.equal(grpcStatusForServiceErrorCode(code), want[code], code);
    t.same(serviceErrorToGrpcStatus(new ServiceError(code, `msg ${code}`)), {
      code: want[code],
      details: `msg ${code}`,
    });
  }
  t.end();
});

t.test('an unmapped code is a programming error', (t) => {
  t.throws(() => grpcStatusForServiceErrorCode('NOPE' as ServiceErrorCode), TypeError);
  t.end();
});

t.test('anything else is UNKNOWN without its message', (t) => {
  t.same(serviceErrorToGrpcStatus(new Error('secret detail')), { code: status.UNKNOWN, details: 'internal error' });
  t.same(serviceErrorToGrpcStatus(undefined), { code: status.UNKNOWN, details: 'internal error' });
  t.end();
});
