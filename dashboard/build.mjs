// Bundles the dashboard into dist/ui/: one script, one stylesheet, index.html. Everything the
// page needs is in those files; nothing is fetched from elsewhere when it runs. tsc -b only
// type-checks src/ (emitDeclarationOnly); esbuild does the bundling, in well under a second.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleIsCurrent, keepMetafile } from '../scripts/bundle-freshness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist', 'ui');
mkdirSync(out, { recursive: true });

const root = join(here, '..');
const outfile = join(out, 'app.js');
// beside dist/ui, not in it: the apiserver serves everything in dist/ui
const metafile = join(here, 'dist', 'app.js.meta.json');
const assets = [
  [join(here, 'static', 'index.html'), join(out, 'index.html')],
  [join(here, 'static', 'app.css'), join(out, 'app.css')],
  [join(root, 'node_modules', '@xterm', 'xterm', 'css', 'xterm.css'), join(out, 'xterm.css')],
];
// a set-up machine's `make up` finds the bundle current and skips esbuild (the assets are copied anyway)
if (!bundleIsCurrent(outfile, metafile, root)) {
  const result = await build({
    entryPoints: [join(here, 'src', 'main.tsx')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    // @skiff/common from its TypeScript sources (the quantity parser), as --conditions=source does for node
    conditions: ['source'],
    outfile,
    logLevel: 'warning',
    legalComments: 'linked',
    metafile: true,
    absWorkingDir: root,
  });
  keepMetafile(metafile, result);
}
for (const [from, to] of assets) copyFileSync(from, to);
