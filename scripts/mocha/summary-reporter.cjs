'use strict';
// Mocha's spec output followed by the slowest test files (hooks included, so the time a file's
// own cluster or apiserver takes to start is counted) and one machine-readable closing line:
//   N passed, N failed[, N skipped]
// CI reads that line; failed hooks count as failures, as in mocha's own stats.
const Mocha = require('mocha');
const path = require('node:path');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;
const SLOWEST_SHOWN = 12;

class SpecWithSummary extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const fileStarted = new Map();
    const fileSeconds = new Map();
    // Suites directly under the root belong to one file each; a file may hold several.
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.parent?.root && suite.file) fileStarted.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const started = fileStarted.get(suite);
      if (started === undefined) return;
      const file = path.relative(process.cwd(), suite.file);
      fileSeconds.set(file, (fileSeconds.get(file) ?? 0) + (Date.now() - started) / 1000);
    });
    // Registered after Spec's own listener, so it prints after the epilogue.
    runner.once(EVENT_RUN_END, () => {
      const slowest = [...fileSeconds].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST_SHOWN);
      if (slowest.length > 1) {
        process.stdout.write('slowest files (seconds, hooks included):\n');
        for (const [file, seconds] of slowest) process.stdout.write(`  ${seconds.toFixed(0).padStart(5)}  ${file}\n`);
      }
      const { passes = 0, failures = 0, pending = 0 } = runner.stats ?? {};
      const skipped = pending > 0 ? `, ${pending} skipped` : '';
      process.stdout.write(`${passes} passed, ${failures} failed${skipped}\n`);
    });
  }
}

module.exports = SpecWithSummary;
