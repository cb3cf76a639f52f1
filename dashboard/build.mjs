// Bundles the dashboard into dist/ui/: one script, one stylesheet, index.html. Everything the
// page needs is in those files; nothing is fetched from elsewhere when it runs. tsc -b only
// type-checks src/ (emitDeclarationOnly); esbuild does the bundling, in well under a second.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist', 'ui');
mkdirSync(out, { recursive: true });

await build({
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
  outfile: join(out, 'app.js'),
  logLevel: 'warning',
  legalComments: 'linked',
});
copyFileSync(join(here, 'static', 'index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'static', 'app.css'), join(out, 'app.css'));
copyFileSync(join(here, '..', 'node_modules', '@xterm', 'xterm', 'css', 'xterm.css'), join(out, 'xterm.css'));
