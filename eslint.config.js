// Lint: typescript-eslint's type-checked rules (no floating promises), Prettier owns formatting.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Allowed directions between the folders of src/ (docs/DESIGN.md "Boundaries"): a folder imports only the folders
// listed here, and only through their index.ts. src/errors (the shared error base), src/clock (the one injected clock)
// and src/version.ts are leaves every folder may use; the composition root (src/agent.ts, cli.ts, status.ts) may use
// every folder; nothing in src/ imports bench/. `typeOnly` folders may be imported for types only (the wire shapes, no code).
const TRANSPORT_HTTP = '^(fastify|@fastify/.*|(node:)?https?|(node:)?http2)$';
const TRANSPORT_GRPC = '^@grpc/.*$';
const NODE_IO = '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|child_process|worker_threads|cluster)$';
const ALLOWED = {
  errors: { folders: [] },
  clock: { folders: [] },
  proto: { folders: [] },
  uptane: { folders: [], typeOnly: ['proto'], packages: [{ regex: NODE_IO, why: 'pure: no I/O, time is passed in' }] },
  ratelimit: { folders: [] },
  config: { folders: [] },
  client: {
    folders: ['proto'],
    packages: [{ regex: '^(fastify|@fastify/.*|@grpc/.*)$', why: 'the client speaks only the wire' }],
  },
  backend: { folders: ['proto', 'uptane'] },
  service: {
    folders: ['backend', 'config', 'proto', 'ratelimit', 'uptane'],
    packages: [TRANSPORT_HTTP, TRANSPORT_GRPC].map((regex) => ({ regex, why: 'the service knows no transport' })),
  },
  http: {
    folders: ['proto', 'service'],
    packages: [{ regex: TRANSPORT_GRPC, why: 'http and grpc are independent transports' }],
  },
  grpc: {
    folders: ['proto', 'service'],
    packages: [{ regex: '^(fastify|@fastify/.*)$', why: 'http and grpc are independent transports' }],
  },
  cluster: { folders: ['backend', 'config', 'proto', 'ratelimit', 'service'] },
  configstream: { folders: ['config', 'grpc', 'proto', 'service'] },
};
const LEAVES = ['errors', 'clock'];

const BENCH = { regex: '^(\\.\\./)+bench(/|$)', message: 'src/ never imports bench/ (bench imports src/).' };
const SUBFOLDER_DEEP = {
  regex: '^\\./[^/]+/(?!index\\.js$)',
  message: 'Import a subfolder through its index.ts.',
};

/** The import rules of files `depth` folders below src/ in `folder` (depth 0: the composition root). */
function boundaryRules(folder, depth) {
  const up = depth === 0 ? '\\./' : `(\\.\\./){${depth}}`;
  const patterns = depth === 0 ? [BENCH] : [BENCH, SUBFOLDER_DEEP];
  patterns.push({
    regex: `^${up}(?!(${LEAVES.join('|')})/)[^./][^/]*/(?!index\\.js$)`,
    message: 'Import another folder of src/ through its index.ts (tests may import files directly).',
  });
  if (folder) {
    const rule = ALLOWED[folder];
    const allowed = [...rule.folders, ...(rule.typeOnly ?? []), ...LEAVES];
    patterns.push({
      regex: `^${up}(?!(${allowed.join('|')})/)[^./][^/]*/`,
      message: `src/${folder} may import only ${rule.folders.length ? rule.folders.join(', ') : 'no other folder'} (docs/DESIGN.md "Boundaries").`,
    });
    for (const typeOnly of rule.typeOnly ?? []) {
      patterns.push({
        regex: `^${up}${typeOnly}/`,
        allowTypeImports: true,
        message: `src/${folder} may import src/${typeOnly} for types only.`,
      });
    }
    patterns.push({
      regex: `^${up}(?!version\\.js$)[^./][^/]*$`,
      message: `src/${folder} must not import the composition root (src/agent.ts, cli.ts, status.ts).`,
    });
    for (const { regex, why } of rule.packages ?? []) patterns.push({ regex, message: `src/${folder}: ${why}.` });
  }
  return { 'no-restricted-imports': ['error', { patterns }] };
}

const boundaries = [
  { files: ['src/*.ts'], rules: boundaryRules(undefined, 0) },
  ...Object.keys(ALLOWED).flatMap((folder) => [
    { files: [`src/${folder}/*.ts`], rules: boundaryRules(folder, 1) },
    { files: [`src/${folder}/*/*.ts`], rules: boundaryRules(folder, 2) },
  ]),
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+src/(?![^/]+/index\\.js$|version\\.js$)',
              message: 'bench imports src/ folders through their index.ts.',
            },
          ],
        },
      ],
    },
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'src/proto/generated.*',
      'coverage/',
      '.tap/',
      'bench/results/',
      '.rc-agent/',
      'scripts/*.mjs',
      'eslint.config.js',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // tap awaits subtests itself: `t.test(...)` needs no await.
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
  ...boundaries,
);
