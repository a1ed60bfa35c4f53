import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { BackendError } from '../../src/backend/index.js';
import { scanConfigDir, sidecarToCustom } from '../../src/backend/config-dir.js';

function write(root: string, rel: string, content: string): void {
  mkdirSync(join(root, rel, '..'), { recursive: true });
  writeFileSync(join(root, rel), content);
}

void t.test('maps <PRODUCT>/<config_id>/<name> to datadog/<org>/… with sidecar custom fields', async (t) => {
  const dir = t.testdir();
  write(dir, 'FFE_FLAGS/ffe-bench/config', '{"format":"SERVER"}');
  write(dir, 'APM_TRACING/checkout/config', '{"lib_config":{}}');
  write(
    dir,
    'APM_TRACING/checkout/config.meta.json',
    '{"tracer_predicates_v1":[{"service":"checkout"}],"expires":0,"c":["x"]}',
  );
  write(dir, 'APM_TRACING/.hidden/config', 'ignored');
  write(dir, 'APM_TRACING/checkout/.config.swp', 'ignored');
  write(dir, '.git/HEAD/x/y', 'ignored');
  write(dir, 'README', 'a file beside the products is ignored');
  const { files, warnings } = await scanConfigDir(dir, 7);
  t.same(
    files.map((f) => f.path),
    ['datadog/7/APM_TRACING/checkout/config', 'datadog/7/FFE_FLAGS/ffe-bench/config'],
    'sorted by path, dotfiles ignored',
  );
  t.equal(Buffer.from(files[1]!.raw).toString(), '{"format":"SERVER"}');
  t.same(files[0]!.custom, {
    'tracer-predicates': { tracer_predicates_v1: [{ service: 'checkout' }] },
    expires: 0,
    c: ['x'],
  });
  t.equal(files[1]!.custom, undefined);
  t.same(warnings, []);
});

void t.test('skips what would not survive the trip to the agent, with a warning each', async (t) => {
  const dir = t.testdir();
  write(dir, 'APM_TRACING/a/config.json', '{}');
  write(dir, 'APM_TRACING/b/config', '{}');
  write(dir, 'APM_TRACING/b/config.meta.json', '{not json');
  write(dir, 'APM_TRACING/c/other.meta.json', '{}');
  write(dir, 'APM_TRACING/d/sub/config', '{}');
  write(dir, 'APM_TRACING/loose', '{}');
  write(dir, 'APM_TRACING/e/config', '{}');
  const { files, warnings } = await scanConfigDir(dir, 2);
  t.same(
    files.map((f) => f.path),
    ['datadog/2/APM_TRACING/e/config'],
  );
  t.equal(warnings.length, 5);
  t.match(warnings.join('\n'), /a\/config\.json: config names must not contain '\.'/);
  t.match(warnings.join('\n'), /b\/config\.meta\.json: .*skipped/);
  t.match(warnings.join('\n'), /c\/other\.meta\.json: sidecar without its config file/);
  t.match(warnings.join('\n'), /d\/sub: not a regular file/);
  t.match(warnings.join('\n'), /APM_TRACING\/loose: expected a directory/);
});

void t.test('a missing or non-directory path is INVALID_CONFIG', async (t) => {
  const dir = t.testdir({ file: 'x' });
  await t.rejects(scanConfigDir(join(dir, 'nope'), 2), { name: 'BackendError', code: 'INVALID_CONFIG' });
  const err = await scanConfigDir(join(dir, 'file'), 2).catch((e: unknown) => e);
  t.ok(err instanceof BackendError);
  t.match((err as Error).message, /is not a directory/);
});

void t.test('sidecarToCustom', async (t) => {
  t.same(sidecarToCustom({}), {});
  t.same(sidecarToCustom({ tracer_predicates_v1: null }), { 'tracer-predicates': { tracer_predicates_v1: null } });
  t.same(sidecarToCustom({ 'tracer-predicates': { tracer_predicates_v1: [] } }), {
    'tracer-predicates': { tracer_predicates_v1: [] },
  });
  t.same(sidecarToCustom({ expires: 1663732800 }), { expires: 1663732800 });
  t.throws(() => sidecarToCustom([]), /JSON object/);
  t.throws(() => sidecarToCustom({ tracer_predicates_v1: {} }), /must be an array/);
  t.throws(() => sidecarToCustom({ expires: -1 }), /non-negative integer/);
  t.throws(() => sidecarToCustom({ expires: 1.5 }), /non-negative integer/);
  t.throws(() => sidecarToCustom({ v: 3 }), /set by the signer/);
});
