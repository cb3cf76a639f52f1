// Bundles the built components `make up` runs into one file each, WORKSPACE/dist/bundle/main.mjs,
// which scripts/cluster.sh starts in place of dist/src/main.js. Why: a component's start was
// mostly Node loading modules (resolving, reading and compiling some 800 files of
// @kubernetes/client-node and our own), about 0.5 s of CPU each, and `make up` starts seven
// components at once on two cores. A bundle halves each one's start-up CPU.
//   node scripts/bundle-components.mjs   bundles what changed since its last bundle
// Left unbundled: the apiserver, which finds files beside its modules (.proto files, the
// dashboard, a worker's script) by import.meta.url, which a bundle moves. The kubelet looks for
// its CRI api.proto from the bundle's place too (kubelet/src/cri/proto.ts).
import { mkdirSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleIsCurrent, keepMetafile } from './bundle-freshness.mjs';

const thisScript = fileURLToPath(import.meta.url);
const root = join(dirname(thisScript), '..');
export const BUNDLED_COMPONENTS = ['controller-manager', 'scheduler', 'kubelet', 'proxy', 'dns', 'metrics-server', 'ingress'];

// CommonJS dependencies inside an ES module bundle call require(): give them one.
const banner = "import { createRequire as __skiffCreateRequire } from 'node:module'; const require = __skiffCreateRequire(import.meta.url);";

for (const component of BUNDLED_COMPONENTS) {
  const entry = join(root, component, 'dist', 'src', 'main.js');
  const outfile = join(root, component, 'dist', 'bundle', 'main.mjs');
  const metafile = `${outfile}.meta.json`;
  if (bundleIsCurrent(outfile, metafile, root, [thisScript])) {
    // checked current now: cluster.sh's quicker test (no compiled file newer than the bundle) agrees
    const now = new Date();
    utimesSync(outfile, now, now);
    continue;
  }
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outfile,
    banner: { js: banner },
    // a stack trace can be mapped back by running with --enable-source-maps (SKIFF_NODE_FLAGS_<name>)
    sourcemap: 'linked',
    // Without comments and indentation the bundle is ASCII, and V8 keeps a script's source for
    // compiling its functions lazily: kept as it is, some comments' non-ASCII characters made
    // each bundle's 5-10 MB source a two-byte string, 10-20 MB of every process's heap for
    // nothing. Names are kept, so stack traces stay readable.
    minifyWhitespace: true,
    charset: 'ascii',
    metafile: true,
    absWorkingDir: root,
    logLevel: 'warning',
  });
  keepMetafile(metafile, result);
  console.error(`    bundled ${component}`);
}
