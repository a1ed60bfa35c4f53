// Reads a request body fastify did not parse: dd-trace-go polls with GET and a JSON body (PROTOCOL.md §7),
// and fastify only parses bodies of POST-like methods.
import type { IncomingMessage } from 'node:http';
import { HttpBodyError } from './error.js';

const EMPTY = Buffer.alloc(0);

export function readRawBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limitBytes) return Promise.reject(new HttpBodyError('BODY_TOO_LARGE', 'http: request body too large'));
  if (req.readableEnded) return Promise.resolve(EMPTY);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer | string): void => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      received += b.length;
      if (received > limitBytes) {
        cleanup();
        reject(new HttpBodyError('BODY_TOO_LARGE', 'http: request body too large'));
        return;
      }
      chunks.push(b);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received));
    };
    const onError = (cause: Error): void => {
      cleanup();
      reject(new HttpBodyError('BODY_UNREADABLE', cause.message, { cause }));
    };
    const onClose = (): void => {
      cleanup();
      reject(new HttpBodyError('BODY_UNREADABLE', 'unexpected EOF'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
    req.resume();
  });
}
