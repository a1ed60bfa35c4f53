// Independent oracle (PROTOCOL.md §6): repositories produced by our signer are accepted by tuf-js's Updater,
// fed from memory. tuf-js reads the real clock, so this test signs relative to Date.now().
import t, { type Test } from 'tap';
import { Updater, BaseFetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { RepositorySigner } from '../../src/backend/signer/index.js';
import { sha256Hex } from '../../src/uptane/index.js';
import { APM_PATH, FFE_PATH, baseFiles, doc } from '../helpers/uptane-fixtures.js';

const BASE = 'https://rc.invalid';

/** Serves `<BASE>/<repo>/<name>` from a map. */
class MemoryFetcher extends BaseFetcher {
  constructor(private readonly files: ReadonlyMap<string, Uint8Array>) {
    super();
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const bytes = this.files.get(url);
    if (bytes === undefined) throw new DownloadHTTPError(`not found: ${url}`, 404);
    const copy = new Uint8Array(bytes);
    return new ReadableStream({
      start(controller) {
        controller.enqueue(copy);
        controller.close();
      },
    });
  }
}

function serve(signer: RepositorySigner, repo: 'config' | 'director'): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const m = signer.currentMetas()[repo];
  signer.roots(repo).forEach((raw, i) => files.set(`${BASE}/${repo}/${i + 1}.root.json`, raw));
  files.set(`${BASE}/${repo}/timestamp.json`, m.timestamp!);
  const versioned = (name: string, raw: Uint8Array): void => {
    files.set(`${BASE}/${repo}/${doc(raw).signed.version}.${name}.json`, raw);
  };
  versioned('snapshot', m.snapshot!);
  versioned('targets', m.targets!);
  if (repo === 'config')
    for (const [role, raw] of Object.entries(signer.currentMetas().config.delegated)) versioned(role, raw);
  // Consistent snapshot targets: <dir>/<sha256>.<base>.
  for (const f of baseFiles()) {
    const slash = f.path.lastIndexOf('/');
    files.set(`${BASE}/targets/${f.path.slice(0, slash)}/${sha256Hex(f.raw)}.${f.path.slice(slash + 1)}`, f.raw);
  }
  return files;
}

function updater(t: Test, signer: RepositorySigner, repo: 'config' | 'director'): Updater {
  const dir = t.testdir({ metadata: { 'root.json': Buffer.from(signer.rootV1(repo)) }, targets: {} });
  return new Updater({
    metadataDir: `${dir}/metadata`,
    metadataBaseUrl: `${BASE}/${repo}`,
    targetDir: `${dir}/targets`,
    targetBaseUrl: `${BASE}/targets`,
    fetcher: new MemoryFetcher(serve(signer, repo)),
  });
}

for (const keyType of ['ed25519', 'ecdsa'] as const) {
  t.test(`tuf-js accepts the ${keyType} director repo (with a rotated root)`, async (t) => {
    const now = Date.now();
    const signer = RepositorySigner.create({ keyType }, now);
    signer.rotateRoot('director', now);
    signer.publish(baseFiles(), now);
    const u = updater(t, signer, 'director');
    await u.refresh();
    const info = await u.getTargetInfo(FFE_PATH);
    t.ok(info, 'target found');
    t.equal(info!.length, baseFiles()[1]!.raw.length);
    t.same(info!.custom, { expires: 0, v: 1 });
    const path = await u.downloadTarget(info!);
    t.ok(path.length > 0, 'downloaded and hash-checked');
  });

  t.test(`tuf-js accepts the ${keyType} config repo and finds a target through its delegated role`, async (t) => {
    const now = Date.now();
    const signer = RepositorySigner.create({ keyType }, now);
    signer.publish(baseFiles(), now);
    const u = updater(t, signer, 'config');
    await u.refresh();
    const info = await u.getTargetInfo(APM_PATH);
    t.ok(info, 'found via APM_TRACING');
    t.equal(info!.hashes.sha256, sha256Hex(baseFiles()[0]!.raw));
    t.equal(await u.getTargetInfo('datadog/2/ASM_DD/none/config'), undefined);
  });
}
