// Small formats the verifier relies on: Go time strings, RFC 3339, config paths, path globs, file-path trimming.
import t from 'tap';
import { UptaneError, formatRfc3339Seconds, parseConfigPath } from '../../src/uptane/index.js';
import { UPTANE_ERROR_CODES } from '../../src/uptane/error.js';
import { formatGoTime, parseRfc3339 } from '../../src/uptane/go-time.js';
import { trimHashTargetPath } from '../../src/uptane/verify-update.js';
import { pathMatch } from '../../src/uptane/path-match.js';

t.test('formatGoTime prints Go Time.String()', (t) => {
  t.equal(formatGoTime(Date.UTC(2026, 10, 22, 9, 45, 3)), '2026-11-22 09:45:03 +0000 UTC');
  t.equal(formatGoTime(Date.UTC(2026, 10, 22, 9, 45, 3, 500)), '2026-11-22 09:45:03.5 +0000 UTC');
  t.equal(formatGoTime(0), '1970-01-01 00:00:00 +0000 UTC');
  t.equal(formatGoTime(-62_135_596_800_000), '0001-01-01 00:00:00 +0000 UTC');
  t.end();
});

t.test('RFC 3339 parsing and the signer layout', (t) => {
  t.equal(parseRfc3339('2026-11-22T09:45:03Z')!.ms, Date.UTC(2026, 10, 22, 9, 45, 3));
  t.equal(parseRfc3339('2026-11-22T10:45:03+01:00')!.ms, Date.UTC(2026, 10, 22, 9, 45, 3));
  t.equal(parseRfc3339('2026-11-22T09:45:03.25Z')!.ms, Date.UTC(2026, 10, 22, 9, 45, 3, 250));
  t.equal(parseRfc3339('0001-01-01T00:00:00Z')!.ms, -62_135_596_800_000);
  for (const bad of ['2026-11-22', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', 'soon', '2026-11-22 09:45:03Z']) {
    t.equal(parseRfc3339(bad), undefined, bad);
  }
  t.equal(formatRfc3339Seconds(Date.UTC(2026, 10, 22, 9, 45, 3, 999)), '2026-11-22T09:45:03Z');
  t.end();
});

t.test('parseConfigPath (§4.1 grammar, E29 wording)', (t) => {
  t.same(parseConfigPath('datadog/2/APM_TRACING/cfg-a/config'), {
    source: 'datadog',
    orgId: 2,
    product: 'APM_TRACING',
    configId: 'cfg-a',
    name: 'config',
  });
  t.same(parseConfigPath('employee/ASM_DD/x/config'), {
    source: 'employee',
    product: 'ASM_DD',
    configId: 'x',
    name: 'config',
  });
  t.throws(() => parseConfigPath('user/2/X/y/config'), {
    code: 'CONFIG_PATH',
    message: "config path 'user/2/X/y/config' has unknown source",
  });
  t.throws(() => parseConfigPath('datadog/x/X/y/config'), {
    message: "config file path 'datadog/x/X/y/config' has wrong format",
  });
  t.throws(() => parseConfigPath('employee/X/config'), {
    message: "config file path 'employee/X/config' has wrong format",
  });
  t.end();
});

t.test('delegation globs follow Go path.Match', (t) => {
  t.ok(pathMatch('datadog/*/APM_TRACING/*/*', 'datadog/2/APM_TRACING/cfg/config'));
  t.notOk(pathMatch('datadog/*/APM_TRACING/*/*', 'datadog/2/APM_TRACING/cfg/sub/config'), '* never crosses /');
  t.notOk(pathMatch('datadog/*/APM_TRACING/*/*', 'datadog/2/ASM/cfg/config'));
  t.ok(pathMatch('a/?/[b-d]\\*', 'a/x/c*'));
  t.notOk(pathMatch('a/[', 'a/['), 'malformed pattern matches nothing');
  t.end();
});

t.test('trimHashTargetPath (reference target store keys)', (t) => {
  t.equal(trimHashTargetPath('datadog/2/P/id/0bdd.config'), 'datadog/2/P/id/config');
  t.equal(trimHashTargetPath('datadog/2/P/id/config'), 'datadog/2/P/id/config');
  t.equal(trimHashTargetPath('abc.config'), 'config');
  t.end();
});

t.test('every UptaneError code is listed once', (t) => {
  t.equal(new Set(UPTANE_ERROR_CODES).size, UPTANE_ERROR_CODES.length);
  const e = new UptaneError('EXPIRED', 'inner').wrap('outer');
  t.equal(e.message, 'outer: inner');
  t.equal(e.code, 'EXPIRED');
  t.type(e.cause, UptaneError);
  t.end();
});
