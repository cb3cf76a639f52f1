// The steady Service probe: one GET every intervalMs (each on a fresh connection, not waiting
// for the one before, so a hanging request does not slow the rate), each outcome reported with
// its start and end time. The ClusterIP probe runs this inside a worker's network namespace
// (probe-cli.ts), the NodePort probe in the driver itself.
import { httpGet } from '../lab/http-probe.ts';
import type { ProbeTally } from './windows.ts';

export interface ProbeOutcome {
  ok: boolean;
  startedAt: number;
  endedAt: number;
  error?: string;
}

export function probeLoop(urls: string[], intervalMs: number, onOutcome: (o: ProbeOutcome) => void, timeoutMs = 3000): { stop(): Promise<void> } {
  const pending = new Set<Promise<void>>();
  let i = 0;
  const timer = setInterval(() => {
    const url = urls[i++ % urls.length]!;
    const startedAt = Date.now();
    const p = httpGet(url, timeoutMs).then((r) => {
      const error = r.ok ? undefined : (r.error ?? `HTTP ${r.status}`);
      onOutcome({ ok: r.ok, startedAt, endedAt: Date.now(), ...(error ? { error: `${url}: ${error}` } : {}) });
    });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

/** a tally that counts outcomes (failures kept with their times) */
export function tally(probe: string): ProbeTally & { add(o: ProbeOutcome): void } {
  const t: ProbeTally & { add(o: ProbeOutcome): void } = {
    probe,
    requests: 0,
    failures: [],
    add(o) {
      t.requests++;
      if (!o.ok) t.failures.push({ probe, startedAt: o.startedAt, endedAt: o.endedAt, error: o.error ?? 'failed' });
    },
  };
  return t;
}
