// `npm run build`: compiles src/ to dist/ (what bin/rc-agent runs when it exists, and what the Docker image ships),
// then copies what tsc does not emit: the generated protobuf code and the pinned Datadog roots.
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';

rmSync('dist', { recursive: true, force: true });
execFileSync(join('node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { stdio: 'inherit' });
cpSync('src/proto/generated.js', 'dist/proto/generated.js');
cpSync('src/config/datadog-roots', 'dist/config/datadog-roots', { recursive: true });
process.stdout.write('built dist/\n');
