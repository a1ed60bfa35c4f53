// The rules for using the leader's response on a follower (src/cluster/rounds.ts), against the real signer and the
// real Uptane verification: a follower at the leader's versions verifies the round; one whose state lacks files the
// round sends only as deltas is told not to use it (and indeed would fail verification); records from Redis are parsed
// defensively.
import t from 'tap';
import { createTrustedState, tufVersions, verifyUpdate, type TrustedState } from '../../src/uptane/index.js';
import { buildLatestConfigsRequest } from '../../src/service/latest-configs-request.js';
import { pb, type ILatestConfigsRequest, type ILatestConfigsResponse } from '../../src/proto/index.js';
import {
  basisOf,
  composeRoundRequest,
  decodeRound,
  encodeRound,
  roundAnswers,
  type RoundRecord,
} from '../../src/cluster/rounds.js';
import { ClusterError } from '../../src/cluster/error.js';
import { encodeResponse } from '../../src/cluster/rounds.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { SignedTestBackend, APM_FILE, FFE_FILE, file } from '../helpers/signed-backend.js';

const PRODUCTS = ['APM_TRACING', 'FFE_FLAGS'];

/** The signer's answer over the protobuf wire (both ways). */
function fetchFrom(backend: SignedTestBackend, req: ILatestConfigsRequest): ILatestConfigsResponse {
  const wire = pb.LatestConfigsRequest.decode(pb.LatestConfigsRequest.encode(req).finish());
  return pb.LatestConfigsResponse.decode(pb.LatestConfigsResponse.encode(backend.signer.latestConfigs(wire)).finish());
}

function requestFor(
  state: TrustedState,
  products: string[],
  newProducts: string[],
  first = false,
): ILatestConfigsRequest {
  return buildLatestConfigsRequest({
    identity: { hostname: 'h', agentVersion: '7.70.0' },
    agentUuid: 'u',
    versions: first ? { directorRoot: 0, configRoot: 0, configSnapshot: 0 } : tufVersions(state),
    products: new Set(products),
    newProducts: new Set(newProducts),
    activeClients: [],
    backendClientState: state.opaqueBackendState,
    lastError: undefined,
    orgUuid: 'org',
  });
}

function roundOf(req: ILatestConfigsRequest, payload: Uint8Array): RoundRecord {
  return {
    fence: 1,
    leader: 'l',
    basis: basisOf(req),
    products: req.products ?? [],
    newProducts: req.newProducts ?? [],
    askIds: [],
    fetchStartedAtMs: 1_000,
    publishedAtMs: 1_100,
    payload,
  };
}

t.test('a follower at the leader versions verifies the leader response; a narrower one may not use it', async (t) => {
  const clock = new FakeClock();
  const backend = new SignedTestBackend(clock, [FFE_FILE, APM_FILE]);
  let leader = createTrustedState(backend.pinnedRoots);
  let follower = createTrustedState(backend.pinnedRoots);
  let narrow = createTrustedState(backend.pinnedRoots);
  // Everyone's first refresh is a full resync of its own; the narrow one fetched FFE_FLAGS only.
  leader = verifyUpdate(leader, fetchFrom(backend, requestFor(leader, [], PRODUCTS, true)), clock.now());
  follower = verifyUpdate(follower, fetchFrom(backend, requestFor(follower, [], PRODUCTS, true)), clock.now());
  narrow = verifyUpdate(narrow, fetchFrom(backend, requestFor(narrow, [], ['FFE_FLAGS'], true)), clock.now());
  t.same(
    basisOf(requestFor(leader, [], [])),
    basisOf(requestFor(narrow, [], [])),
    'same versions (the basis of a request)',
  );

  clock.advance(2000);
  backend.publish([file('FFE_FLAGS', 'ffe-main', { flags: { a: 1 } }), APM_FILE]);
  const own = requestFor(leader, PRODUCTS, []);
  const roundReq = composeRoundRequest(own, new Set(PRODUCTS), [], [], 100);
  const response = fetchFrom(backend, roundReq);
  const round = roundOf(roundReq, encodeResponse(response));

  const followerReq = requestFor(follower, PRODUCTS, []);
  t.ok(roundAnswers(round, followerReq, new Set(PRODUCTS)), 'the follower may use the round');
  const next = verifyUpdate(follower, response, clock.now());
  t.equal(tufVersions(next).directorTargets, tufVersions(verifyUpdate(leader, response, clock.now())).directorTargets);

  const narrowReq = requestFor(narrow, ['FFE_FLAGS'], []);
  t.notOk(roundAnswers(round, narrowReq, new Set(['FFE_FLAGS'])), 'the narrow follower may not: APM files missing');
  t.throws(() => verifyUpdate(narrow, response, clock.now()), 'and verification would indeed reject it');

  // Asked by the narrow follower, the leader's next round sends APM_TRACING whole: everyone can use it.
  const ask = {
    replica: 'n',
    basis: basisOf(narrowReq),
    products: ['FFE_FLAGS'],
    newProducts: [],
    covered: ['FFE_FLAGS'],
    clients: [],
    askedAtMs: 900,
  };
  const asked = composeRoundRequest(own, new Set(PRODUCTS), [ask], [], 100);
  t.same(asked.newProducts, ['APM_TRACING'], 'APM_TRACING asked as new');
  const full = fetchFrom(backend, asked);
  const round2 = roundOf(asked, encodeResponse(full));
  t.ok(roundAnswers(round2, narrowReq, new Set(['FFE_FLAGS'])), 'now the narrow follower may use it');
  t.doesNotThrow(() => verifyUpdate(narrow, full, clock.now()), 'and it verifies');
  t.ok(roundAnswers(round2, followerReq, new Set(PRODUCTS)), 'so may the others');

  t.notOk(roundAnswers(round, requestFor(follower, PRODUCTS, [], true), new Set(PRODUCTS)), 'a full resync may not');
  t.notOk(roundAnswers(round, { ...followerReq, hasError: true }, new Set(PRODUCTS)), 'nor a request after an error');
  t.notOk(
    roundAnswers(round, requestFor(follower, PRODUCTS, ['ASM_FEATURES']), new Set(PRODUCTS)),
    'nor one asking more',
  );
});

t.test('the round request carries the fleet clients, most recent first kept', async (t) => {
  const own: ILatestConfigsRequest = { products: ['FFE_FLAGS'], activeClients: [{ id: 'a', lastSeen: 5 }] };
  const reg = {
    products: ['APM_TRACING'],
    clients: [
      { id: 'b', lastSeen: 3 },
      { id: 'a', lastSeen: 1 },
    ],
  };
  const req = composeRoundRequest(own, new Set(['FFE_FLAGS', 'APM_TRACING']), [], [reg], 10);
  t.same(req.products, ['APM_TRACING', 'FFE_FLAGS']);
  t.same(req.newProducts, []);
  t.same(
    req.activeClients?.map((c) => [c.id, Number(c.lastSeen)]),
    [
      ['b', 3],
      ['a', 5],
    ],
  );
  const capped = composeRoundRequest(own, new Set(['FFE_FLAGS']), [], [reg], 1);
  t.same(
    capped.activeClients?.map((c) => c.id),
    ['a'],
    'over the bound, the most recent',
  );
  t.same(capped.newProducts, ['APM_TRACING'], 'a product the leader does not hold is asked whole');
});

t.test('records from Redis are parsed defensively', async (t) => {
  const good = roundOf({ products: ['X'], orgUuid: 'o' }, new Uint8Array([1, 2, 3]));
  t.same(decodeRound(encodeRound(good)).payload, Buffer.from([1, 2, 3]));
  t.equal(decodeRound(encodeRound(good)).fetchStartedAtMs, 1_000, 'the leader fetch start travels with the round');
  const { fetchStartedAtMs: _dropped, ...undated } = JSON.parse(encodeRound(good)) as Record<string, unknown>;
  for (const bad of [
    '',
    'null',
    '[]',
    '{"fence":-1}',
    JSON.stringify({ ...JSON.parse(encodeRound(good)), products: [1] }),
    JSON.stringify(undated),
    JSON.stringify({ ...JSON.parse(encodeRound(good)), fetchStartedAtMs: 'soon' }),
  ]) {
    t.throws(() => decodeRound(bad), ClusterError, `rejects ${bad.slice(0, 30)}`);
  }
});
