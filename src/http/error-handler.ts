// The one place where errors become HTTP statuses (STYLE.md rule 4). Bodies follow the trace-agent handler
// (PROTOCOL.md §3.2): Go's http.Error, i.e. text + "\n", `text/plain; charset=utf-8` and nosniff; service errors
// read like the gRPC error the trace-agent would have received from the core agent.
import { randomBytes } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isInternalFailure, ServiceError, type ServiceErrorCode } from '../service/index.js';
import { HttpBodyError, JsonDecodeError, type HttpBodyErrorCode, type JsonDecodeErrorCode } from './error.js';

export const TEXT_PLAIN = 'text/plain; charset=utf-8';

export interface HttpFailure {
  readonly status: number;
  /** label for metrics (`code`): a ServiceErrorCode, a JsonDecodeErrorCode, an HttpBodyErrorCode or INTERNAL */
  readonly code: ServiceErrorCode | JsonDecodeErrorCode | HttpBodyErrorCode | 'INTERNAL';
  readonly body: string;
}

/** Status and grpc-go code name (`codes.Code.String()`) for each service error. */
export function httpStatusForServiceError(code: ServiceErrorCode): { status: number; grpcName: string } {
  switch (code) {
    // validation is a 500 in the reference: only Unimplemented and NotFound become 404
    case 'INVALID_ARGUMENT':
      return { status: 500, grpcName: 'InvalidArgument' };
    case 'UNIMPLEMENTED':
      return { status: 404, grpcName: 'Unimplemented' };
    case 'NOT_FOUND':
      return { status: 404, grpcName: 'NotFound' };
    case 'CANCELLED':
      return { status: 500, grpcName: 'Canceled' };
    case 'UNAVAILABLE':
      return { status: 500, grpcName: 'Unavailable' };
    case 'UNKNOWN':
      return { status: 500, grpcName: 'Unknown' };
    default:
      return unreachable(code);
  }
}

export function httpStatusForDecodeError(code: JsonDecodeErrorCode): number {
  switch (code) {
    case 'JSON_SYNTAX':
    case 'JSON_TYPE':
    case 'JSON_BASE64':
      return 400;
    default:
      return unreachable(code);
  }
}

export function httpStatusForBodyError(code: HttpBodyErrorCode): number {
  switch (code) {
    case 'BODY_TOO_LARGE':
      return 413;
    case 'BODY_UNREADABLE':
      return 400;
    default:
      return unreachable(code);
  }
}

function unreachable(code: never): never {
  throw new TypeError(`unmapped error code ${String(code)}`);
}

function isFastifyError(e: unknown): e is FastifyError {
  return (
    e instanceof Error &&
    typeof (e as Partial<FastifyError>).code === 'string' &&
    (e as Partial<FastifyError>).code?.startsWith('FST_') === true
  );
}

/** Fastify's own body errors, as ours. */
function fromFastify(e: FastifyError): HttpBodyError | undefined {
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new HttpBodyError('BODY_TOO_LARGE', 'http: request body too large', { cause: e });
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return new HttpBodyError('BODY_UNREADABLE', e.message, { cause: e });
  }
  return undefined;
}

const INTERNAL_BODY = 'internal server error\n';

export function toHttpFailure(e: unknown): HttpFailure {
  if (e instanceof ServiceError && !isInternalFailure(e)) {
    const { status, grpcName } = httpStatusForServiceError(e.code);
    return { status, code: e.code, body: `rpc error: code = ${grpcName} desc = ${e.message}\n` };
  }
  if (e instanceof JsonDecodeError)
    return { status: httpStatusForDecodeError(e.code), code: e.code, body: `${e.message}\n` };
  const bodyError = e instanceof HttpBodyError ? e : isFastifyError(e) ? fromFastify(e) : undefined;
  if (bodyError !== undefined)
    return { status: httpStatusForBodyError(bodyError.code), code: bodyError.code, body: `${bodyError.message}\n` };
  // a bug, not a protocol outcome: the message stays in the log
  return { status: 500, code: 'INTERNAL', body: INTERNAL_BODY };
}

export function sendHttpError(reply: FastifyReply, failure: HttpFailure): FastifyReply {
  return reply
    .code(failure.status)
    .header('content-type', TEXT_PLAIN)
    .header('x-content-type-options', 'nosniff')
    .send(failure.body);
}

/** Installed with app.setErrorHandler. */
export function httpErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  let failure = toHttpFailure(error);
  if (failure.code === 'INTERNAL') {
    // the ID ties the client's answer to the log line holding the stack
    const errorId = randomBytes(8).toString('hex');
    request.log.error({ err: error, errorId }, 'request failed');
    failure = { ...failure, body: `internal server error (id ${errorId})\n` };
  }
  // the client may still be sending: do not reuse the connection
  if (failure.code === 'BODY_TOO_LARGE' || failure.code === 'BODY_UNREADABLE') reply.header('connection', 'close');
  return sendHttpError(reply, failure);
}
