// The HTTP listener asks for the kernel's maximum backlog (a herd overflows Node's default 511).
import { createServer } from 'node:net';
import t from 'tap';
import { httpListenOptions } from '../../src/http/index.js';
import { FALLBACK_LISTEN_BACKLOG, kernelMaxListenBacklog } from '../../src/http/listen-options.js';

t.test('the backlog is net.core.somaxconn', (t) => {
  t.same(
    httpListenOptions('127.0.0.1', 8126, () => '65535\n'),
    { host: '127.0.0.1', port: 8126, backlog: 65535 },
  );
  t.equal(
    kernelMaxListenBacklog(() => '4096'),
    4096,
  );
  t.end();
});

t.test('unreadable or nonsense somaxconn falls back to 4096', (t) => {
  t.equal(FALLBACK_LISTEN_BACKLOG, 4096);
  const unreadable = (): string => {
    throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  };
  t.equal(kernelMaxListenBacklog(unreadable), 4096);
  for (const text of ['', 'x', '-1', '0', '1.5', '99999999999999999999']) {
    t.equal(
      kernelMaxListenBacklog(() => text),
      4096,
      JSON.stringify(text),
    );
  }
  t.end();
});

t.test('on this machine: the value /proc gives, accepted by listen()', async (t) => {
  const opts = httpListenOptions('127.0.0.1', 0);
  t.ok(Number.isSafeInteger(opts.backlog) && opts.backlog > 0);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts, resolve);
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  t.ok(server.listening);
});
