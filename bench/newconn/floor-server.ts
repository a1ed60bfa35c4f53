// The reference servers of `bench newconn`, run as a child process on the agent's core:
//   node --import tsx bench/newconn/floor-server.ts node|fastify <reply.json>
// `node`: a bare `http.createServer` that answers every request with the captured bytes — the platform's floor for
// one new connection plus one request. `fastify`: the same bytes from a fastify route set up like the agent's app.
// Both read the request body before answering, as the agent must. Prints `listening <kind> http://127.0.0.1:PORT`.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController } from 'fastify';

const [kind, file] = process.argv.slice(2);
if ((kind !== 'node' && kind !== 'fastify') || file === undefined) {
  throw new Error('usage: floor-server.ts node|fastify <reply.json>');
}
const captured = JSON.parse(readFileSync(file, 'utf8')) as { contentType: string; bodyBase64: string };
const body = Buffer.from(captured.bodyBase64, 'base64');
// The agent's keep-alive (DEFAULT_KEEP_ALIVE_TIMEOUT_MS): tracers keep their socket between polls.
const KEEP_ALIVE_TIMEOUT_MS = 10_000;

let close: () => Promise<void>;
let url: string;
if (kind === 'node') {
  const headers = { 'content-type': captured.contentType, 'content-length': String(body.length) };
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, (req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      res.writeHead(200, headers);
      res.end(body);
    });
  });
  server.listen({ host: '127.0.0.1', port: 0, backlog: 65_535 });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
} else {
  const app = Fastify({
    logger: false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, b, done) => done(null, b));
  app.all('/v0.7/config', (_request, reply) => reply.header('content-type', captured.contentType).send(body));
  url = await app.listen({ host: '127.0.0.1', port: 0, backlog: 65_535 });
  close = () => app.close();
}
process.stdout.write(`listening ${kind} ${url}\n`);
const stop = (): void => {
  close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
