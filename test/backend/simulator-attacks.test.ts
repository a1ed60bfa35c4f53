// The simulator's answers against the verifier (src/uptane): honest ones are accepted, each attack is rejected
// with the error PROTOCOL.md §5.9 lists for it, and the trusted state never moves.
import t, { type Test } from 'tap';
import { FOREIGN_ORG_UUID, foreignOrgId } from '../../src/backend/attacks.js';
import { type AttackMode } from '../../src/backend/types.js';
import type { ILatestConfigsRequest } from '../../src/proto/index.js';
import {
  createTrustedState,
  tufVersions,
  verifyOrg,
  verifyUpdate,
  type TrustedState,
  type UptaneError,
} from '../../src/uptane/index.js';
import { AGENT_VERSION, makeConfigDir, simClient, startSim, text, writeConfig } from '../helpers/backend-sim.js';

const PRODUCTS = ['APM_TRACING', 'FFE_FLAGS'];

/** The request the agent builds from its trusted state (PROTOCOL.md §4.6 "Request"). */
function requestFor(state: TrustedState | undefined): ILatestConfigsRequest {
  const base = { hostname: 'host-1', agentVersion: AGENT_VERSION, products: PRODUCTS };
  if (state === undefined) return base;
  const v = tufVersions(state);
  return {
    ...base,
    currentConfigSnapshotVersion: v.configSnapshot,
    currentConfigRootVersion: v.configRoot,
    currentDirectorRootVersion: v.directorRoot,
    backendClientState: state.opaqueBackendState,
  };
}

async function setup(t: Test) {
  const dir = makeConfigDir(t);
  let nowMs = Date.now();
  const sim = await startSim(t, { configsDir: dir, now: () => nowMs });
  const client = simClient(t, sim);
  const initial = createTrustedState(sim.pinnedRoots);
  const synced = verifyUpdate(initial, await client.fetchLatestConfigs(requestFor(undefined)), nowMs);
  verifyOrg(synced, { storedOrgUuid: await client.fetchOrgUuid() });
  return { dir, sim, client, initial, synced, now: () => nowMs, advance: (ms: number) => (nowMs += ms) };
}

void t.test('honest answers verify, and a config edit reaches the verified state', async (t) => {
  const { dir, sim, client, synced, now, advance } = await setup(t);
  t.equal(synced.files.size, 3);
  t.equal(
    text(synced.files.get('datadog/2/FFE_FLAGS/ffe-bench/config')),
    '{"format":"SERVER","environment":{"name":"dev"},"flags":{}}',
  );
  t.equal(synced.configOrgUuid, sim.orgUuid);

  // nothing changed: the answer is empty and verifies to the same content
  const idle = verifyUpdate(synced, await client.fetchLatestConfigs(requestFor(synced)), now());
  t.same(tufVersions(idle), tufVersions(synced));

  advance(1000);
  writeConfig(dir, 'FFE_FLAGS/ffe-bench/config', '{"format":"SERVER","environment":{"name":"prod"},"flags":{}}');
  await sim.rescan();
  const res = await client.fetchLatestConfigs(requestFor(synced));
  t.equal(res.targetFiles?.length, 1, 'only the changed file');
  const next = verifyUpdate(synced, res, now());
  t.ok(tufVersions(next).directorTargets > tufVersions(synced).directorTargets);
  t.equal(
    text(next.files.get('datadog/2/FFE_FLAGS/ffe-bench/config')),
    '{"format":"SERVER","environment":{"name":"prod"},"flags":{}}',
  );
  t.equal(next.files.size, 3, 'unchanged files carried over');
  t.equal(next.directorTargets.get('datadog/2/FFE_FLAGS/ffe-bench/config')?.custom?.v, 2);
});

const ATTACKS: Array<{
  attack: Exclude<AttackMode, 'none' | 'org-uuid-mismatch'>;
  code: string;
  message: RegExp;
  fresh: boolean;
}> = [
  {
    attack: 'tampered-file',
    code: 'WRONG_LENGTH',
    message: /unexpected file size: datadog\/2\/.* \(expected \d+ bytes, got \d+ bytes\)/,
    fresh: true,
  },
  {
    attack: 'tampered-file-same-length',
    code: 'WRONG_HASH',
    message: /failed to download datadog\/2\/.*: wrong sha256 hash, expected [0-9a-f]+ got [0-9a-f]+/,
    fresh: true,
  },
  {
    attack: 'rollback',
    code: 'ROLLBACK',
    message: /^failed updating director repository: version \d+ is lower than current version \d+$/,
    fresh: false,
  },
  {
    attack: 'expired-timestamp',
    code: 'EXPIRED',
    message:
      /^failed updating director repository: tuf: failed to decode timestamp\.json: expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/,
    fresh: true,
  },
  {
    attack: 'wrong-key',
    code: 'THRESHOLD',
    message:
      /^failed updating director repository: tuf: failed to decode targets\.json: tuf: valid signatures did not meet threshold$/,
    fresh: true,
  },
  {
    attack: 'director-config-mismatch',
    code: 'CROSS_CHECK',
    message: /^directory hash '[0-9a-f]+' does not match config repository '[0-9a-f]+'$/,
    fresh: true,
  },
];

for (const { attack, code, message, fresh } of ATTACKS) {
  void t.test(`attack ${attack} is rejected`, async (t) => {
    const { sim, client, initial, synced, now } = await setup(t);
    sim.setAttack(attack);
    const targets: Array<[string, TrustedState]> = [['synced agent', synced]];
    if (fresh) targets.push(['fresh agent', initial]);
    for (const [who, state] of targets) {
      const res = await client.fetchLatestConfigs(requestFor(state === initial ? undefined : state));
      const err = t.throws(() => verifyUpdate(state, res, now()), `${who} rejects`) as UptaneError;
      t.equal(err.name, 'UptaneError');
      t.equal(err.code, code, `${who}: ${err.message}`);
      t.match(err.message, message);
    }
    // back to honest: the synced agent is unaffected and keeps verifying
    sim.setAttack('none');
    await t.resolves(client.fetchLatestConfigs(requestFor(synced)).then((res) => verifyUpdate(synced, res, now())));
  });
}

void t.test('attack org-uuid-mismatch: signatures hold, the org check fails', async (t) => {
  const { sim, client, synced, now } = await setup(t);
  sim.setAttack('org-uuid-mismatch');
  const res = await client.fetchLatestConfigs(requestFor(synced));
  const next = verifyUpdate(synced, res, now());
  t.equal(next.configOrgUuid, FOREIGN_ORG_UUID);
  const stored = await client.fetchOrgUuid();
  t.equal(stored, sim.orgUuid, '/org keeps answering the real UUID');
  const err = t.throws(() => verifyOrg(next, { storedOrgUuid: stored })) as UptaneError;
  t.equal(err.code, 'ORG_UUID_MISMATCH');
  t.equal(
    err.message,
    `stored/remote OrgUUID and snapshot OrgUUID do not match: stored=${stored} received=${FOREIGN_ORG_UUID}`,
  );
});

void t.test('attack org-id-mismatch: both repos agree, only the RC key org-ID check fails', async (t) => {
  const { sim, client, synced, now } = await setup(t);
  sim.setAttack('org-id-mismatch');
  const res = await client.fetchLatestConfigs(requestFor(synced));
  // every check but the org ID passes: signatures, versions, director ⇔ config, files
  const next = verifyUpdate(synced, res, now());
  const foreign = foreignOrgId(2);
  const paths = [...next.directorTargets.keys()].sort();
  t.ok(paths.length > 0);
  t.ok(
    paths.every((p) => p.startsWith(`datadog/${foreign}/`)),
    `director paths moved to org ${foreign}: ${paths.join(', ')}`,
  );
  const stored = await client.fetchOrgUuid();
  t.doesNotThrow(() => verifyOrg(next, { storedOrgUuid: stored }), 'without an RC key: accepted (reference)');
  t.doesNotThrow(() => verifyOrg(next, { storedOrgUuid: stored, orgId: foreign }), 'an RC key of that org: accepted');
  const err = t.throws(() => verifyOrg(next, { storedOrgUuid: stored, orgId: 2 })) as UptaneError;
  t.equal(err.code, 'ORG_ID_MISMATCH');
  t.equal(err.message, `director target '${paths[0]}' does not have the correct orgID. ${foreign} != 2`);
  // the honest answer keeps verifying for the synced agent
  sim.setAttack('none');
  const honest = verifyUpdate(synced, await client.fetchLatestConfigs(requestFor(synced)), now());
  t.doesNotThrow(() => verifyOrg(honest, { storedOrgUuid: stored, orgId: 2 }));
});

void t.test('setAttack refuses unknown modes', async (t) => {
  const { sim } = await setup(t);
  t.throws(() => sim.setAttack('bogus' as AttackMode), { code: 'INVALID_CONFIG' });
});
