// The HTTP stack's limit for the throughput bench: a fastify route that reads the request body like the agent and
// answers bytes captured from the agent, from memory. Run as a child process:
//   node --import tsx bench/throughput/static-server.ts <replies.json>
// where replies.json is `{ "<variant>": { "contentType": "…", "bodyBase64": "…" } }`; it serves
// POST /<variant>/v0.7/config and prints `listening static http://127.0.0.1:PORT`.
import { readFileSync } from 'node:fs';
import Fastify, { LogController } from 'fastify';

interface CapturedReply {
  readonly contentType: string;
  readonly bodyBase64: string;
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: static-server.ts <replies.json>');
const replies = JSON.parse(readFileSync(file, 'utf8')) as Record<string, CapturedReply>;

// Same server settings as the agent's app: no request logging, 1 MiB body limit, 10 s keep-alive.
const app = Fastify({
  logger: false,
  logController: new LogController({ disableRequestLogging: true }),
  bodyLimit: 1024 * 1024,
  keepAliveTimeout: 10_000,
});
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
for (const [variant, reply] of Object.entries(replies)) {
  const body = Buffer.from(reply.bodyBase64, 'base64');
  app.post(`/${variant}/v0.7/config`, (_request, res) => res.header('content-type', reply.contentType).send(body));
}

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening static ${address}\n`);
const stop = (): void => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
