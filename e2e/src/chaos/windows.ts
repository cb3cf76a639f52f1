// Kill windows and the Service probe's failures: each failed request is attributed to the kill
// window it overlaps (from the SIGKILL to the moment the killed part was healthy again), or to
// none. Pure.

export interface KillWindow {
  /** what was killed, e.g. "apiserver skiff-ccp1" */
  target: string;
  pid: number;
  killedAt: number;
  /** when every heal condition held again; undefined: never within the heal timeout */
  healedAt?: number;
  /** what "healed" meant for this kill */
  healedWhen: string;
}

export interface ProbeFailure {
  probe: string;
  startedAt: number;
  endedAt: number;
  error: string;
}

export interface ProbeTally {
  probe: string;
  requests: number;
  failures: ProbeFailure[];
}

export interface ProbeFigures {
  probe: string;
  requests: number;
  failed: number;
  failedRatio: number;
  /** failures overlapping no kill window */
  failedOutsideWindows: ProbeFailure[];
  /** failures per kill window target */
  failedByWindow: Record<string, number>;
}

/** the window a request from startedAt to endedAt overlaps (an unhealed window lasts until `end`) */
export function windowOf(windows: readonly KillWindow[], startedAt: number, endedAt: number, end: number): KillWindow | undefined {
  return windows.find((w) => startedAt <= (w.healedAt ?? end) && endedAt >= w.killedAt);
}

export function probeFigures(tally: ProbeTally, windows: readonly KillWindow[], end: number): ProbeFigures {
  const failedByWindow: Record<string, number> = {};
  const outside: ProbeFailure[] = [];
  for (const f of tally.failures) {
    const w = windowOf(windows, f.startedAt, f.endedAt, end);
    if (w) failedByWindow[w.target] = (failedByWindow[w.target] ?? 0) + 1;
    else outside.push(f);
  }
  return {
    probe: tally.probe,
    requests: tally.requests,
    failed: tally.failures.length,
    failedRatio: tally.requests === 0 ? 1 : tally.failures.length / tally.requests,
    failedOutsideWindows: outside,
    failedByWindow,
  };
}

/** how many of `times` fall in each window (by target) */
export function countByWindow(windows: readonly KillWindow[], times: readonly number[], end: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of times) {
    const w = windowOf(windows, t, t, end);
    if (w) out[w.target] = (out[w.target] ?? 0) + 1;
  }
  return out;
}
