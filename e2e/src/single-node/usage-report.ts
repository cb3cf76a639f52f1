// What the single-node cluster's own services cost, printed when the cluster stops: make test
// runs on two cores, and these daemons (no test process waits for them, so no test file's CPU
// figure holds them) took about a sixth of a run's CPU. With the apiserver's request counts
// beside them, the next CPU cut can be chosen from figures rather than guesses.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { servicePids } from '../supervised-pid.ts';

const CLOCK_TICKS_PER_SECOND = 100;

/** utime+stime (+ the children it reaped) of a live process, in seconds; undefined once it is gone. */
function cpuSeconds(pid: number, withChildren: boolean): number | undefined {
  try {
    // the fields after the command name, which may hold spaces but ends at the last ')'
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]) + (withChildren ? Number(f[13]) + Number(f[14]) : 0);
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of each service of a cluster.sh run directory: the running service (its PID in
 * NAME.state, written by supervise.sh) and what its supervisor reaped of earlier runs.
 */
export function serviceCpu(runDir: string): { name: string; seconds: number }[] {
  if (!existsSync(runDir)) return [];
  const out: { name: string; seconds: number }[] = [];
  for (const file of readdirSync(runDir).filter((f) => f.endsWith('.pid'))) {
    const name = file.slice(0, -'.pid'.length);
    const { started: supervisor, service } = servicePids(runDir, name);
    const own = service !== undefined && service !== supervisor ? (cpuSeconds(service, true) ?? 0) : 0;
    const earlier = supervisor !== undefined ? (cpuSeconds(supervisor, true) ?? 0) : 0;
    out.push({ name, seconds: own + earlier });
  }
  return out.sort((a, b) => b.seconds - a.seconds);
}

/** The `top` largest apiserver_request_total series summed over codes: "GET pods 1234". */
export function topRequests(metrics: string, top = 12): { request: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(line)?.[1] ?? '';
    const sub = label('subresource');
    const key = `${label('verb')} ${label('resource')}${sub ? `/${sub}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return [...counts]
    .map(([request, count]) => ({ request, count }))
    .sort((a, b) => b.count - a.count)
    .slice(0, top);
}

export function formatUsage(cpu: { name: string; seconds: number }[], requests: { request: string; count: number }[]): string {
  const total = cpu.reduce((s, c) => s + c.seconds, 0);
  const lines = [`      single-node cluster services: ${total.toFixed(0)} s of CPU in all (${cpu.map((c) => `${c.name} ${c.seconds.toFixed(1)}`).join(', ')})`];
  if (requests.length) lines.push(`      apiserver requests: ${requests.map((r) => `${r.request} ${r.count}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}
