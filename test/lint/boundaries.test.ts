// The folder boundaries of eslint.config.js bite: sample files that cross them get a `no-restricted-imports` error,
// files that respect them get none (docs/DESIGN.md "Boundaries"). `npm run lint` proves the real tree is clean.
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Only the boundary rule runs, so no type information is needed and the sample files need not exist.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
});

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${filePath}` });
  if (result === undefined) throw new Error(`no lint result for ${filePath}`);
  return result.messages.map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const violations: ReadonlyArray<readonly [file: string, code: string, message: RegExp]> = [
  [
    'src/service/probe.ts',
    "import Fastify from 'fastify';\nexport const app = Fastify;\n",
    /service knows no transport/,
  ],
  ['src/service/probe.ts', "export { status } from '@grpc/grpc-js';\n", /service knows no transport/],
  ['src/service/probe.ts', "export { buildHttpApp } from '../http/index.js';\n", /src\/service may import only/],
  ['src/http/probe.ts', "export { startGrpcServer } from '../grpc/index.js';\n", /src\/http may import only/],
  ['src/http/probe.ts', "export { credentials } from '@grpc/grpc-js';\n", /independent transports/],
  ['src/grpc/probe.ts', "export { buildHttpApp } from '../http/index.js';\n", /src\/grpc may import only/],
  ['src/grpc/probe.ts', "import Fastify from 'fastify';\nexport const app = Fastify;\n", /independent transports/],
  ['src/http/probe.ts', "export { RemoteConfigService } from '../service/rc-service.js';\n", /through its index\.ts/],
  ['src/cli.ts', "export { registerConfigStreamCommand } from './configstream/command.js';\n", /through its index\.ts/],
  ['src/uptane/probe.ts', "export { pb } from '../proto/index.js';\n", /src\/proto for types only/],
  [
    'src/uptane/probe.ts',
    "export { ServiceError } from '../service/index.js';\n",
    /src\/uptane may import only no other/,
  ],
  ['src/uptane/probe.ts', "export { readFile } from 'node:fs/promises';\n", /pure: no I\/O/],
  ['src/ratelimit/probe.ts', "export { systemClock } from '../service/index.js';\n", /src\/ratelimit may import only/],
  ['src/client/probe.ts', "export { ServiceError } from '../service/index.js';\n", /src\/client may import only proto/],
  ['src/config/probe.ts', "export { startAgent } from '../agent.js';\n", /composition root/],
  ['src/backend/signer/probe.ts', "export { keyId } from '../../uptane/crypto.js';\n", /through its index\.ts/],
  ['src/backend/probe.ts', "export { x } from './signer/keys.js';\n", /subfolder through its index\.ts/],
  ['src/service/probe.ts', "export { run } from '../../bench/cli.js';\n", /never imports bench/],
  ['bench/herd/probe.ts', "export { RcClient } from '../../src/client/rc-client.js';\n", /through their index\.ts/],
];

for (const [file, code, message] of violations) {
  t.test(`${file}: ${code.trim().split('\n')[0]}`, async (t) => {
    const errors = await boundaryErrors(file, code);
    t.equal(errors.length, 1, errors.join('\n'));
    t.match(errors[0], /^no-restricted-imports: /);
    t.match(errors[0], message);
  });
}

const allowed: ReadonlyArray<readonly [file: string, code: string]> = [
  ['src/http/probe.ts', "export { ServiceError, type RcService } from '../service/index.js';\n"],
  ['src/grpc/probe.ts', "export { pb } from '../proto/index.js';\n"],
  ['src/uptane/probe.ts', "import type { IFile } from '../proto/index.js';\nexport type F = IFile;\n"],
  ['src/uptane/probe.ts', "export { CodedError } from '../errors/index.js';\n"],
  ['src/ratelimit/probe.ts', "export { CodedError } from '../errors/coded-error.js';\n"],
  ['src/config/probe.ts', "export { VERSION } from '../version.js';\n"],
  ['src/client/probe.ts', "export { pb } from '../proto/index.js';\n"],
  ['src/backend/signer/probe.ts', "export { keyId } from '../../uptane/index.js';\nexport { x } from '../error.js';\n"],
  ['src/agent.ts', "export { buildHttpApp } from './http/index.js';\n"],
  ['test/service/probe.test.ts', "export { RemoteConfigService } from '../../src/service/rc-service.js';\n"],
];

for (const [file, code] of allowed) {
  t.test(`${file} may: ${code.trim().split('\n')[0]}`, async (t) => {
    t.same(await boundaryErrors(file, code), []);
  });
}
