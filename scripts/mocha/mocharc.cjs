'use strict';
// `make test`: the compiled tests of every workspace, one process, files in series so
// that they can share the harness's etcd (see common/src/testing/).
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

// SKIFF_TEST_SPEC (space-separated globs) narrows the run, e.g. to one workspace:
//   make test SKIFF_TEST_SPEC='apiserver/dist/test/**/*.test.js'
// (mocha adds command-line files to the config's spec instead of replacing it).
const spec = (process.env.SKIFF_TEST_SPEC ?? '').split(/\s+/).filter(Boolean);
// Files named on the command line (`mocha --config ... x.test.ts`) are the whole run: without
// this, mocha would add them to the default spec and run every suite, e2e included.
const namedFiles = process.argv.slice(2).some((a) => !a.startsWith('-') && /\.test\.[cm]?[jt]s$/.test(a));

module.exports = {
  spec: spec.length > 0 ? spec : namedFiles ? [] : ['*/dist/test/**/*.test.js'],
  // SKIFF_TEST_IGNORE (space-separated globs) leaves files out: scripts/test.sh runs the node
  // lane (containerd, network namespaces) beside the rest.
  ignore: ['node_modules/**', ...(process.env.SKIFF_TEST_IGNORE ?? '').split(/\s+/).filter(Boolean)],
  require: [path.join(root, 'common/dist/src/testing/root-hooks.js')],
  reporter: path.join(__dirname, 'summary-reporter.cjs'),
  // Most suites start etcd and an apiserver; the default 2 s is far too short for that.
  timeout: 30000,
  slow: 2000,
  // A test that leaves a socket or timer behind must not hang CI.
  exit: true,
};
