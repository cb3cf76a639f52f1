// Marks when a benchmark's measured phase ran, so that a CPU profile of a component
// (SKIFF_BENCH_NODE_FLAGS) can be cut down to that phase: P1's creates rather than the whole
// bench with its setup, LISTs and watches. SKIFF_BENCH_PHASES=FILE appends one JSON line per
// phase, {"phase", "startUs", "endUs"}, in microseconds of the monotonic clock: the clock of a
// V8 CPU profile's startTime and timeDeltas on Linux, whatever process wrote the profile.
// scripts/cpu-profile-summary.ts reads the file (--phases FILE --phase NAME). Unset: nothing.
import { appendFileSync } from 'node:fs';

export const BENCH_PHASES_ENV = 'SKIFF_BENCH_PHASES';

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** Runs `work` and, when SKIFF_BENCH_PHASES is set, records when it started and ended. */
export async function benchPhase<T>(phase: string, work: () => Promise<T>): Promise<T> {
  const startUs = monotonicUs();
  try {
    return await work();
  } finally {
    const file = process.env[BENCH_PHASES_ENV];
    if (file) appendFileSync(file, `${JSON.stringify({ phase, startUs, endUs: monotonicUs() })}\n`);
  }
}
