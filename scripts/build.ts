// Emits dist/ for `npm pack`: Node does not strip types inside node_modules, so the published
// package ships JavaScript. Non-TypeScript assets under src/ (web pages, styles) are copied as-is,
// without the page's tsconfig.json (it type-checks the page against the TypeScript sources).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
cpSync(join(root, 'src'), join(root, 'dist'), {
  recursive: true,
  filter: (src) => !src.endsWith('.ts') && !src.endsWith('tsconfig.json'),
});
chmodSync(join(root, 'dist/cli/bin.js'), 0o755);
