// IPC credentials in the data dir, named as in the Datadog agent (DESIGN.md "Ports and paths"):
// `auth_token` (64 hex characters, mode 0600) and `ipc_cert.pem` (a self-signed certificate for localhost,
// 127.0.0.1 and ::1 followed by its private key, mode 0600). Created on first start, reused afterwards.
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { GrpcSetupError } from './error.js';

export const AUTH_TOKEN_FILE = 'auth_token';
export const IPC_CERT_FILE = 'ipc_cert.pem';
/** The Datadog agent refuses shorter tokens. */
const MIN_TOKEN_CHARS = 32;
const TOKEN_BYTES = 32;
const CERT_VALIDITY_MS = 10 * 365 * 24 * 3600 * 1000;
/** Tolerates clocks a little behind the one that made the certificate. */
const CERT_BACKDATE_MS = 3600 * 1000;

export interface IpcCredentials {
  /** bearer token clients send as `authorization: Bearer <token>` */
  readonly token: string;
  /** the certificate alone: what clients trust */
  readonly certPem: string;
  readonly keyPem: string;
  /** what was repaired on the way (a credential file other users could read), for the log */
  readonly warnings: readonly string[];
}

export interface CredentialOptions {
  /** wall clock for certificate validity; Date.now by default */
  readonly nowMs?: () => number;
}

function isErrno(e: unknown, code: string): boolean {
  return e instanceof Error && (e as NodeJS.ErrnoException).code === code;
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw new GrpcSetupError('INVALID_CREDENTIALS', `cannot read ${path}`, { cause: e });
  }
}

/** Writes a new file; if another process created it first, its content wins. */
async function createExclusive(path: string, content: string): Promise<string> {
  try {
    await writeFile(path, content, { flag: 'wx', mode: 0o600 });
    return content;
  } catch (e) {
    if (!isErrno(e, 'EEXIST')) throw new GrpcSetupError('INVALID_CREDENTIALS', `cannot write ${path}`, { cause: e });
    return (await readIfPresent(path)) ?? content;
  }
}

function checkToken(raw: string, path: string): string {
  const token = raw.trim();
  if (token.length < MIN_TOKEN_CHARS || /\s/.test(token)) {
    throw new GrpcSetupError(
      'INVALID_CREDENTIALS',
      `${path}: expected a token of at least ${MIN_TOKEN_CHARS} characters, got ${token.length}`,
    );
  }
  return token;
}

/** The first CERTIFICATE and PRIVATE KEY blocks of a PEM file such as ipc_cert.pem. */
export function pemBlocks(pem: string): { certPem?: string; keyPem?: string } {
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const key = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/.exec(pem)?.[0];
  return { certPem: cert === undefined ? undefined : `${cert}\n`, keyPem: key === undefined ? undefined : `${key}\n` };
}

/** The certificate and key of an existing ipc_cert.pem, or undefined if it has expired. */
function parseCertFile(pem: string, path: string, nowMs: number): { certPem: string; keyPem: string } | undefined {
  const { certPem, keyPem } = pemBlocks(pem);
  if (certPem === undefined || keyPem === undefined) {
    throw new GrpcSetupError('INVALID_CREDENTIALS', `${path}: expected a CERTIFICATE and a PRIVATE KEY block`);
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem)))
      throw new Error('the private key does not match the certificate');
  } catch (cause) {
    throw new GrpcSetupError('INVALID_CREDENTIALS', `${path}: unusable certificate or key`, { cause });
  }
  return Date.parse(cert.validTo) <= nowMs ? undefined : { certPem, keyPem };
}

async function generateCertificate(nowMs: number): Promise<{ certPem: string; keyPem: string }> {
  const pems = await generate([{ name: 'commonName', value: 'rc-agent IPC' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(nowMs - CERT_BACKDATE_MS),
    notAfterDate: new Date(nowMs + CERT_VALIDITY_MS),
    extensions: [
      // its own trust anchor, like the Datadog agent's IPC certificate
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return {
    certPem: pems.cert.endsWith('\n') ? pems.cert : `${pems.cert}\n`,
    keyPem: pems.private.endsWith('\n') ? pems.private : `${pems.private}\n`,
  };
}

/**
 * A credential file group or others can access is made 0600 and reported: refusing to start would break an
 * upgrade over a file an older version wrote, and the token can be rotated by deleting the file.
 */
async function restrictMode(path: string, warnings: string[]): Promise<void> {
  let mode: number;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return;
    throw new GrpcSetupError('INVALID_CREDENTIALS', `cannot stat ${path}`, { cause: e });
  }
  if ((mode & 0o077) === 0) return;
  try {
    await chmod(path, 0o600);
  } catch (e) {
    throw new GrpcSetupError('INVALID_CREDENTIALS', `${path} has mode ${mode.toString(8)} and cannot be made 0600`, {
      cause: e,
    });
  }
  warnings.push(
    `${path} had mode ${mode.toString(8).padStart(4, '0')}: changed to 0600; delete it and restart to rotate it if others could read it`,
  );
}

export async function loadOrCreateCredentials(dataDir: string, opts: CredentialOptions = {}): Promise<IpcCredentials> {
  const nowMs = (opts.nowMs ?? Date.now)();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const warnings: string[] = [];

  const tokenPath = join(dataDir, AUTH_TOKEN_FILE);
  await restrictMode(tokenPath, warnings);
  const existingToken = await readIfPresent(tokenPath);
  const token = checkToken(
    existingToken ?? (await createExclusive(tokenPath, randomBytes(TOKEN_BYTES).toString('hex'))),
    tokenPath,
  );

  const certPath = join(dataDir, IPC_CERT_FILE);
  await restrictMode(certPath, warnings);
  const existingCert = await readIfPresent(certPath);
  let pair = existingCert === undefined ? undefined : parseCertFile(existingCert, certPath, nowMs);
  if (pair === undefined) {
    const fresh = await generateCertificate(nowMs);
    const content = fresh.certPem + fresh.keyPem;
    if (existingCert === undefined) {
      pair = parseCertFile(await createExclusive(certPath, content), certPath, nowMs) ?? fresh;
    } else {
      // expired: replace it (clients holding the old one fail either way)
      await writeFile(certPath, content, { mode: 0o600 });
      pair = fresh;
    }
  }
  return { token, ...pair, warnings };
}
