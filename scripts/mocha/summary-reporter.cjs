'use strict';
// Mocha's spec output followed by the slowest test files (hooks included, so the time a file's
// own cluster or apiserver takes to start is counted), the files that cost the most CPU, and one
// machine-readable closing line:
//   N passed, N failed[, N skipped]
// CI reads that line; failed hooks count as failures, as in mocha's own stats.
const Mocha = require('mocha');
const fs = require('node:fs');
const path = require('node:path');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;
const SLOWEST_SHOWN = 12;
const COSTLIEST_SHOWN = 15;

// CPU seconds of this process and of the children it has waited for (apiservers, kubectl,
// scripts): /proc/self/stat's utime, stime, cutime and cstime. `make test` is CPU-bound on two
// cores, so a file's CPU, not its wall time, says what a cut would win. Outside Linux: own CPU.
function cpuSeconds() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    // the fields after the command name, which may hold spaces, closed by the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return ticks / 100; // USER_HZ is 100 on every Linux this runs on
  } catch {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  }
}

// kubectl runs made through the harness's runKubectl (common/src/testing/kubectl.ts counts them)
const KUBECTL_RUNS = Symbol.for('skiff.testing.kubectlRuns');
const kubectlRuns = () => globalThis[KUBECTL_RUNS] ?? 0;

function printTop(title, entries, shown) {
  const top = [...entries].sort((a, b) => b[1] - a[1]).slice(0, shown);
  if (top.length <= 1) return;
  process.stdout.write(`${title}:\n`);
  for (const [file, value] of top) process.stdout.write(`  ${value.toFixed(0).padStart(5)}  ${file}\n`);
}

class SpecWithSummary extends Spec {
  constructor(runner, options) {
    super(runner, options);
    const fileStarted = new Map();
    const fileSeconds = new Map();
    const fileCpu = new Map();
    const fileKubectl = new Map();
    // Suites directly under the root belong to one file each; a file may hold several.
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.parent?.root && suite.file) fileStarted.set(suite, { at: Date.now(), cpu: cpuSeconds(), kubectl: kubectlRuns() });
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const started = fileStarted.get(suite);
      if (started === undefined) return;
      const file = path.relative(process.cwd(), suite.file);
      fileSeconds.set(file, (fileSeconds.get(file) ?? 0) + (Date.now() - started.at) / 1000);
      fileCpu.set(file, (fileCpu.get(file) ?? 0) + cpuSeconds() - started.cpu);
      fileKubectl.set(file, (fileKubectl.get(file) ?? 0) + kubectlRuns() - started.kubectl);
    });
    // CI shows only the end of the output: the failures are named again just above the closing
    // line, one line each, in a form scripts/test.sh gathers from every lane.
    const failed = [];
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      const file = test.file ? path.relative(process.cwd(), test.file) : '?';
      const reason = String(err?.message ?? err)
        .split('\n')[0]
        .slice(0, 160);
      failed.push(`failed test: ${test.fullTitle()} (${file}): ${reason}`);
    });
    // Registered after Spec's own listener, so it prints after the epilogue.
    runner.once(EVENT_RUN_END, () => {
      printTop('slowest files (seconds, hooks included)', fileSeconds, SLOWEST_SHOWN);
      printTop('costliest files (CPU seconds of the test process and the processes it waited for)', fileCpu, COSTLIEST_SHOWN);
      printTop('most kubectl runs (through the harness; lessons and scripts run more)', fileKubectl, COSTLIEST_SHOWN);
      for (const line of failed) process.stdout.write(`${line}\n`);
      const { passes = 0, failures = 0, pending = 0 } = runner.stats ?? {};
      const skipped = pending > 0 ? `, ${pending} skipped` : '';
      process.stdout.write(`${passes} passed, ${failures} failed${skipped}\n`);
    });
  }
}

module.exports = SpecWithSummary;
