// Extra node flags for the components a benchmark starts, from the environment, so that a bench
// run can be profiled without editing the bench:
//   SKIFF_BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof/{component}'
// `{component}` becomes the workspace started ('apiserver', 'scheduler', ...), so that each
// component's profiles land in a folder of their own. Flags are split on spaces (no quoting).
// Unset: no flags, the ordinary run.

export const BENCH_NODE_FLAGS_ENV = 'SKIFF_BENCH_NODE_FLAGS';

/** The node flags SKIFF_BENCH_NODE_FLAGS asks for this component, placed before its main module. */
export function benchNodeFlags(component: string): string[] {
  const flags = process.env[BENCH_NODE_FLAGS_ENV]?.trim();
  if (!flags) return [];
  return flags.split(/\s+/).map((flag) => flag.replaceAll('{component}', component));
}

/**
 * How long stopProcess waits after SIGTERM before SIGKILL. A profiled process writes its
 * profile on exit, which takes seconds after a long run on a loaded machine; a SIGKILL then
 * would lose it.
 */
export function benchStopGraceMs(): number {
  return process.env[BENCH_NODE_FLAGS_ENV]?.trim() ? 60_000 : 5000;
}
