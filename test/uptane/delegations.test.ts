// Delegated config roles (§5.5 F2): nested delegations, terminating roles, path hash prefixes, key checks.
import t from 'tap';
import { sha256Hex, verifyUpdate } from '../../src/uptane/index.js';
import {
  T0,
  craftRepo,
  directorTargetsWith,
  enc,
  envelope,
  generateKeyPair,
  response,
  setup,
  signedOf,
} from '../helpers/uptane-fixtures.js';

const future = '2030-01-01T00:00:00Z';

function targetsDoc(targets: Record<string, unknown>, delegations?: unknown): Record<string, unknown> {
  return {
    _type: 'targets',
    spec_version: '1.0',
    version: 1,
    expires: future,
    targets,
    ...(delegations ? { delegations } : {}),
  };
}

t.test('nested, terminating and hash-prefixed delegations', (t) => {
  const { signer, state1 } = setup();
  const k = generateKeyPair('ed25519');
  const path = 'datadog/2/ASM_DD/rule/config';
  const bytes = enc('{"rules":[]}');
  const meta = { length: bytes.length, hashes: { sha256: sha256Hex(bytes) } };
  const role = (name: string, extra: Record<string, unknown>) => ({
    name,
    keyids: [k.keyId],
    threshold: 1,
    terminating: false,
    ...extra,
  });

  const build = (innerRoles: unknown[], leaf: Record<string, Record<string, unknown>>) => {
    const top = signedOf(signer.currentMetas().config.targets);
    top.version += 1;
    top.delegations.keys[k.keyId] = k.publicKey;
    top.delegations.roles.push(role('ASM', { paths: ['datadog/*/ASM_DD/*/*'] }));
    const delegatedRaw: Record<string, { version: number; raw: Uint8Array }> = {
      ASM: { version: 1, raw: envelope(targetsDoc({}, { keys: { [k.keyId]: k.publicKey }, roles: innerRoles }), [k]) },
    };
    for (const [name, targets] of Object.entries(leaf))
      delegatedRaw[name] = { version: 1, raw: envelope(targetsDoc(targets), [k]) };
    return response(
      craftRepo(signer, 'director', { targets: directorTargetsWith(signer, path, bytes) }),
      craftRepo(signer, 'config', { targets: top, delegatedRaw }),
      [{ path, raw: bytes }],
    );
  };

  t.test('found two levels down', (t) => {
    const s = verifyUpdate(
      state1,
      build([role('ASM_RULES', { paths: ['datadog/*/ASM_DD/*/*'] })], { ASM_RULES: { [path]: meta } }),
      T0,
    );
    t.ok(s.files.has(path));
    t.ok(s.config.delegated.has('ASM_RULES'));
    t.same(
      s.readExpiries!.map((r) => r.name),
      [
        'snapshot.json',
        'targets.json',
        'APM_TRACING.json',
        'ASM.json',
        'ASM_RULES.json',
        'FFE_FLAGS.json',
        'snapshot.json',
        'targets.json',
      ],
    );
    t.end();
  });

  t.test('path_hash_prefixes', (t) => {
    const prefix = sha256Hex(Buffer.from(path)).slice(0, 4);
    const s = verifyUpdate(
      state1,
      build([role('HASHED', { path_hash_prefixes: [prefix] })], { HASHED: { [path]: meta } }),
      T0,
    );
    t.ok(s.files.has(path));
    t.end();
  });

  t.test('a terminating role that lacks the target ends the search', (t) => {
    const roles = [
      role('TERM', { paths: ['datadog/*/ASM_DD/*/*'], terminating: true }),
      role('LATER', { paths: ['datadog/*/ASM_DD/*/*'] }),
    ];
    t.throws(() => verifyUpdate(state1, build(roles, { TERM: {}, LATER: { [path]: meta } }), T0), {
      code: 'TARGET_NOT_IN_CONFIG',
      message: `failed to find target in config repository: tuf: file not found: ${path}`,
    });
    const nonTerminating = [
      role('FIRST', { paths: ['datadog/*/ASM_DD/*/*'] }),
      role('LATER', { paths: ['datadog/*/ASM_DD/*/*'] }),
    ];
    t.ok(verifyUpdate(state1, build(nonTerminating, { FIRST: {}, LATER: { [path]: meta } }), T0).files.has(path));
    t.end();
  });

  t.test('paths and path_hash_prefixes both set', (t) => {
    t.throws(
      () =>
        verifyUpdate(
          state1,
          build([role('BOTH', { paths: ['*'], path_hash_prefixes: ['0'] })], { BOTH: { [path]: meta } }),
          T0,
        ),
      {
        message: 'tuf: paths and path_hash_prefixes are both set',
      },
    );
    t.end();
  });
  t.end();
});

t.test('a delegated role signed by a key its delegator does not list', (t) => {
  const { signer, state1 } = setup();
  const role = signedOf(signer.currentMetas().config.delegated.APM_TRACING);
  role.version += 1;
  const wrong = generateKeyPair('ed25519');
  const config = craftRepo(signer, 'config', {
    delegatedRaw: { APM_TRACING: { version: role.version, raw: envelope(role, [wrong]) } },
  });
  t.throws(() => verifyUpdate(state1, response(undefined, config), T0), {
    code: 'THRESHOLD',
    message: 'tuf: failed to decode APM_TRACING.json: tuf: valid signatures did not meet threshold',
  });
  t.end();
});

t.test('a delegated role whose listed version differs from the document', (t) => {
  const { signer, state1 } = setup();
  const role = signedOf(signer.currentMetas().config.delegated.APM_TRACING);
  role.version += 1;
  const config = craftRepo(signer, 'config', {
    delegated: { APM_TRACING: role },
    snapshot: (s) => (s.meta['APM_TRACING.json'].version += 1),
  });
  t.throws(() => verifyUpdate(state1, response(undefined, config), T0), {
    code: 'MISSING_METADATA',
    message: 'tuf: missing remote metadata APM_TRACING.json',
  });
  t.end();
});
