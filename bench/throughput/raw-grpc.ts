// A lean gRPC unary caller for the load generator: plain node:http2 over TLS with pre-framed protobuf requests, so
// the generator's cost per call is a stream, not grpc-js's channel, interceptor and (de)serialisation machinery.
// Enough to know a call succeeded (grpc-status 0); the reply is not decoded.
import { connect, type ClientHttp2Session } from 'node:http2';
import { isIP } from 'node:net';

const GRPC_STATUS_OK = '0';

/** The 5-byte gRPC message prefix (uncompressed, length) then the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.byteLength);
  frame[0] = 0;
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, 5);
  return frame;
}

export interface RawGrpcClient {
  /** Resolves on grpc-status 0, rejects with the status and message otherwise. */
  call(path: string, frame: Buffer): Promise<void>;
  close(): void;
}

/** `sessions` HTTP/2 connections, calls spread round-robin. The certificate must name localhost (or the IP). */
export function createRawGrpcClient(
  address: string,
  opts: { token: string; certPem: string; sessions: number },
): RawGrpcClient {
  const host = address.startsWith('[')
    ? address.slice(1, address.indexOf(']'))
    : address.slice(0, address.lastIndexOf(':'));
  const sessions: ClientHttp2Session[] = [];
  for (let i = 0; i < opts.sessions; i++) {
    const session = connect(`https://${address}`, {
      ca: opts.certPem,
      ...(isIP(host) === 0 ? {} : { servername: 'localhost' }),
    });
    session.on('error', () => undefined); // a failed call reports it
    sessions.push(session);
  }
  const authorization = `Bearer ${opts.token}`;
  let next = 0;
  return {
    call(path, frame) {
      const session = sessions[next++ % sessions.length]!;
      return new Promise<void>((resolve, reject) => {
        const stream = session.request({
          ':method': 'POST',
          ':path': path,
          'content-type': 'application/grpc',
          te: 'trailers',
          authorization,
        });
        let status: string | undefined;
        let message = '';
        const read = (headers: Record<string, string | string[] | number | undefined>): void => {
          const s = headers['grpc-status'];
          if (typeof s === 'string' || typeof s === 'number') status = String(s);
          const m = headers['grpc-message'];
          if (typeof m === 'string') message = m;
        };
        stream.on('response', read);
        stream.on('trailers', read);
        stream.on('data', () => undefined);
        stream.on('error', reject);
        stream.on('close', () => {
          if (status === GRPC_STATUS_OK) resolve();
          else reject(new Error(`grpc-status ${status ?? 'missing'} ${message}`));
        });
        stream.end(frame);
      });
    },
    close() {
      for (const s of sessions) s.close();
    },
  };
}
