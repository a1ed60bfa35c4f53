import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { AUTH_TOKEN_FILE, IPC_CERT_FILE } from '../../src/grpc/index.js';
import { loadOrCreateCredentials } from '../../src/grpc/credentials.js';

const NOW_MS = Date.parse('2026-11-22T00:00:00Z');
const now = () => NOW_MS;

t.test('first start creates auth_token and ipc_cert.pem (mode 0600) in the data dir', async (t) => {
  const dir = join(t.testdir(), 'run');
  const creds = await loadOrCreateCredentials(dir, { nowMs: now });
  t.match(creds.token, /^[0-9a-f]{64}$/);
  t.equal(readFileSync(join(dir, AUTH_TOKEN_FILE), 'utf8'), creds.token);
  t.equal(statSync(join(dir, AUTH_TOKEN_FILE)).mode & 0o777, 0o600);
  t.equal(statSync(join(dir, IPC_CERT_FILE)).mode & 0o777, 0o600);
  // like the Datadog agent: the certificate followed by its key
  const file = readFileSync(join(dir, IPC_CERT_FILE), 'utf8');
  t.equal(file, creds.certPem + creds.keyPem);
  t.match(creds.certPem, /^-----BEGIN CERTIFICATE-----/);
  t.notMatch(creds.certPem, /PRIVATE KEY/);
  t.match(creds.keyPem, /-----BEGIN (EC )?PRIVATE KEY-----/);
});

t.test('the certificate names localhost, 127.0.0.1 and ::1', async (t) => {
  const creds = await loadOrCreateCredentials(t.testdir(), { nowMs: now });
  const cert = new X509Certificate(creds.certPem);
  t.equal(cert.checkHost('localhost'), 'localhost');
  t.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
  t.equal(cert.checkIP('::1'), '::1');
  t.match(cert.subjectAltName, /DNS:localhost/);
  t.ok(Date.parse(cert.validFrom) <= NOW_MS);
  t.ok(Date.parse(cert.validTo) > NOW_MS + 5 * 365 * 24 * 3600 * 1000);
  t.equal(cert.ca, true);
});

t.test('later starts reuse both files', async (t) => {
  const dir = t.testdir();
  const first = await loadOrCreateCredentials(dir, { nowMs: now });
  const second = await loadOrCreateCredentials(dir, { nowMs: now });
  t.same(second, first);
  // a token written by someone else (trailing newline) is used as is
  writeFileSync(join(dir, AUTH_TOKEN_FILE), `${'b'.repeat(40)}\n`);
  t.equal((await loadOrCreateCredentials(dir, { nowMs: now })).token, 'b'.repeat(40));
});

t.test('concurrent first starts agree on one set of credentials', async (t) => {
  const dir = t.testdir();
  const [a, b] = await Promise.all([
    loadOrCreateCredentials(dir, { nowMs: now }),
    loadOrCreateCredentials(dir, { nowMs: now }),
  ]);
  t.same(a, b);
});

t.test('an expired certificate is replaced', async (t) => {
  const dir = t.testdir();
  const first = await loadOrCreateCredentials(dir, { nowMs: now });
  const later = NOW_MS + 11 * 365 * 24 * 3600 * 1000;
  const renewed = await loadOrCreateCredentials(dir, { nowMs: () => later });
  t.not(renewed.certPem, first.certPem);
  t.equal(renewed.token, first.token);
  t.ok(Date.parse(new X509Certificate(renewed.certPem).validTo) > later);
});

t.test('unusable files fail start-up with INVALID_CREDENTIALS', async (t) => {
  const short = t.testdir({ [AUTH_TOKEN_FILE]: 'short' });
  await t.rejects(loadOrCreateCredentials(short, { nowMs: now }), {
    name: 'GrpcSetupError',
    code: 'INVALID_CREDENTIALS',
  });
  const garbage = t.testdir({ [IPC_CERT_FILE]: 'not a certificate' });
  await t.rejects(loadOrCreateCredentials(garbage, { nowMs: now }), {
    name: 'GrpcSetupError',
    code: 'INVALID_CREDENTIALS',
  });
  // a key that does not belong to the certificate
  const a = await loadOrCreateCredentials(t.testdir(), { nowMs: now });
  const b = await loadOrCreateCredentials(t.testdir(), { nowMs: now });
  const mixed = t.testdir({ [IPC_CERT_FILE]: a.certPem + b.keyPem });
  await t.rejects(loadOrCreateCredentials(mixed, { nowMs: now }), {
    name: 'GrpcSetupError',
    code: 'INVALID_CREDENTIALS',
  });
});
